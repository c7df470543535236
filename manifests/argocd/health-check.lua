-- Argo CD health check for EcsScheduledTask (ecs-scheduler.dev). Maps the kstatus conditions the
-- controller writes onto Argo CD's health states. Kept to Lua 5.1, which Argo CD's gopher-lua runs.
local hs = { status = "Progressing", message = "Waiting for the controller to observe the resource" }
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= nil and obj.status.observedGeneration < generation then
  hs.message = "Waiting for the controller to observe generation " .. generation
  return hs
end
local conditions = {}
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    conditions[c.type] = c
  end
end
local stalled = conditions["Stalled"]
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = (stalled.reason or "Stalled") .. ": " .. (stalled.message or "")
  return hs
end
-- Not part of kstatus: the newest finished run failed (reason: Failed, LaunchFailed or Missed). The
-- resource is Degraded until a run succeeds, also while suspended or while the next run is under
-- way, so a job whose every run fails never shows Healthy.
local lastRun = conditions["LastRunSucceeded"]
if lastRun ~= nil and lastRun.status == "False" then
  hs.status = "Degraded"
  hs.message = "Last run " .. (lastRun.reason or "failed") .. ": " .. (lastRun.message or "")
  return hs
end
local ready = conditions["Ready"]
if ready ~= nil and ready.status == "True" then
  if obj.spec ~= nil and obj.spec.suspend == true then
    hs.status = "Suspended"
    hs.message = "Suspended: no new runs are scheduled"
    return hs
  end
  hs.status = "Healthy"
  hs.message = ready.message or "Ready"
  return hs
end
if ready ~= nil and ready.status == "False" then
  local reconciling = conditions["Reconciling"]
  if reconciling ~= nil and reconciling.status == "True" then
    hs.message = (reconciling.reason or "Reconciling") .. ": " .. (reconciling.message or "")
    return hs
  end
  hs.status = "Degraded"
  hs.message = (ready.reason or "NotReady") .. ": " .. (ready.message or "")
  return hs
end
return hs
