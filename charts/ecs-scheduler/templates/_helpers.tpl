{{/* The release's full name: the release name, or release-chart when it does not contain the chart name. */}}
{{- define "ecs-scheduler.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The pods' selector: stable across upgrades, so never the chart version. */}}
{{- define "ecs-scheduler.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ecs-scheduler.labels" -}}
{{ include "ecs-scheduler.selectorLabels" . }}
app.kubernetes.io/part-of: ecs-scheduler
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "ecs-scheduler.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ecs-scheduler.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ecs-scheduler.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The Prometheus job of the PodMonitor's targets, as the Prometheus Operator names it. */}}
{{- define "ecs-scheduler.prometheusJob" -}}
{{- printf "%s/%s" .Release.Namespace (include "ecs-scheduler.fullname" .) -}}
{{- end -}}

{{/* "true" when /metrics listens on loopback only (reachable inside the pod, not from the network). */}}
{{- define "ecs-scheduler.metricsLoopback" -}}
{{- has .Values.metrics.bindAddress (list "127.0.0.1" "localhost" "::1") -}}
{{- end -}}

{{/* --metrics-bind-address: an IPv6 address goes in brackets. */}}
{{- define "ecs-scheduler.metricsBindAddress" -}}
{{- $host := .Values.metrics.bindAddress -}}
{{- if contains ":" $host }}[{{ $host }}]{{ else }}{{ $host }}{{ end }}:{{ .Values.metrics.port }}
{{- end -}}

{{/* The named container port scrapers reach: the proxy's when it is on. */}}
{{- define "ecs-scheduler.scrapePort" -}}
{{- if .Values.metrics.rbacProxy.enabled }}https{{ else }}metrics{{ end -}}
{{- end -}}

{{- define "ecs-scheduler.rbacProxyImage" -}}
{{- $image := .Values.metrics.rbacProxy.image -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $image.tag -}}
{{- end -}}
{{- end -}}
