// The Argo CD custom health check (manifests/argocd/health-check.lua), run in a real Lua VM
// (fengari, Lua 5.3; the script keeps to the Lua 5.1 subset that Argo CD's gopher-lua runs). As
// in Argo CD, the object is the global `obj`, built from the resource's JSON, and the script
// returns a table with `status` and `message`. Used by the unit cases and by the integration test
// that evaluates real resources read from the API server.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type LuaState = object;
interface Fengari {
  lua: {
    LUA_OK: number;
    LUA_TTABLE: number;
    lua_newtable(L: LuaState): void;
    lua_pushstring(L: LuaState, s: Uint8Array): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_setfield(L: LuaState, index: number, key: Uint8Array): void;
    lua_rawseti(L: LuaState, index: number, i: number): void;
    lua_setglobal(L: LuaState, name: Uint8Array): void;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_getfield(L: LuaState, index: number, key: Uint8Array): number;
    lua_type(L: LuaState, index: number): number;
    lua_tojsstring(L: LuaState, index: number): string;
    lua_pop(L: LuaState, n: number): void;
  };
  lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadstring(L: LuaState, source: Uint8Array): number;
  };
  lualib: { luaL_openlibs(L: LuaState): void };
  to_luastring(s: string): Uint8Array;
}

const fengari = createRequire(import.meta.url)('fengari') as Fengari;
const { lua, lauxlib, lualib, to_luastring } = fengari;

export const HEALTH_CHECK_SCRIPT = readFileSync(
  join(REPO_ROOT, 'manifests', 'argocd', 'health-check.lua'),
  'utf8',
);

/** Pushes a JSON value as gopher-lua's JSON decoding presents it: objects and arrays as tables. */
function push(L: LuaState, value: unknown): void {
  if (value === null || value === undefined) throw new Error('push nil through the caller');
  if (typeof value === 'string') lua.lua_pushstring(L, to_luastring(value));
  else if (typeof value === 'boolean') lua.lua_pushboolean(L, value);
  else if (typeof value === 'number') {
    if (Number.isInteger(value)) lua.lua_pushinteger(L, value);
    else lua.lua_pushnumber(L, value);
  } else if (Array.isArray(value)) {
    lua.lua_newtable(L);
    value.forEach((item, i) => {
      push(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else if (typeof value === 'object') {
    lua.lua_newtable(L);
    for (const [key, item] of Object.entries(value)) {
      if (item === null || item === undefined) continue; // JSON null is nil: the key is absent
      push(L, item);
      lua.lua_setfield(L, -2, to_luastring(key));
    }
  } else {
    throw new Error(`cannot push ${typeof value}`);
  }
}

export interface Health {
  status: string;
  message: string;
}

/** What Argo CD shows for `obj`: the script's returned status and message. */
export function argoCdHealth(obj: unknown): Health {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  push(L, obj);
  lua.lua_setglobal(L, to_luastring('obj'));
  if (lauxlib.luaL_loadstring(L, to_luastring(HEALTH_CHECK_SCRIPT)) !== lua.LUA_OK) {
    throw new Error(`health-check.lua does not compile: ${lua.lua_tojsstring(L, -1)}`);
  }
  if (lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) {
    throw new Error(`health-check.lua failed: ${lua.lua_tojsstring(L, -1)}`);
  }
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) throw new Error('health-check.lua did not return a table');
  const field = (key: string) => {
    lua.lua_getfield(L, -1, to_luastring(key));
    const text = lua.lua_tojsstring(L, -1);
    lua.lua_pop(L, 1);
    return text;
  };
  return { status: field('status'), message: field('message') };
}
