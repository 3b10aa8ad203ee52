-- wrk script for bench/api.py: single-query yente POST /match/{dataset} with varied names.
--
-- wrk -t T -c C -d Ss -s bench/api.lua URL -- NAMES_FILE PATH THREADS [RATE]
--   NAMES_FILE: one JSON string (a name) per line; PATH: e.g. /match/default;
--   RATE (total requests/s, optional): pace an open loop instead of a closed one;
--   slots more than 100 ms late (every connection busy) are dropped and counted.
-- Env WRK_OUT: file the per-phase figures are written to as JSON (read by bench/api.py).
--
-- Each request's query key is unique ("k<thread>_<n>"), and 200 answers echo it first,
-- so latency is measured per 200 response, as the Python generator does.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } tamiz_timespec;
int clock_gettime(int clk_id, tamiz_timespec *tp);
]]
local ts = ffi.new("tamiz_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local MAX_REQUESTS = 500000 -- per thread: a hard bound besides wrk's duration
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local names, path, started, interval, next_slot
local headers = { ["Content-Type"] = "application/json" }
local seq = 0
lat, codes, retry, dropped = {}, {}, 0, 0

function init(args)
  names = {}
  for line in io.lines(args[1]) do names[#names + 1] = line end
  path = args[2]
  local rate = tonumber(args[4] or "0") or 0
  interval = rate > 0 and tonumber(args[3]) / rate or 0
  started = {}
  seq = (tid or 1) * 7919 % #names -- threads start at different names
end

function request()
  seq = seq + 1
  if seq > MAX_REQUESTS + #names then wrk.thread:stop() end
  local key = tid .. "_" .. seq
  started[key] = now()
  local body = '{"queries":{"k' .. key .. '":{"schema":"LegalEntity","properties":{"name":['
    .. names[seq % #names + 1] .. ']}}}}'
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
  codes[status] = (codes[status] or 0) + 1
  if hdrs["retry-after"] or hdrs["Retry-After"] then retry = retry + 1 end
  if status == 200 then
    local key = string.match(body, '^{"responses":{"k([%d_]+)"')
    local t0 = key and started[key]
    if t0 then
      lat[#lat + 1] = (now() - t0) * 1000
      started[key] = nil
    end
  end
end

if os.getenv("WRK_RATE") then
  function delay()
    local t = now()
    if next_slot == nil then next_slot = t end
    while next_slot < t - 0.1 do
      next_slot = next_slot + interval
      dropped = dropped + 1
    end
    local wait = next_slot - t
    next_slot = next_slot + interval
    return wait > 0 and wait * 1000 or 0
  end
end

function done(summary, latency, requests)
  local all_codes, all_lat, all_retry, all_dropped = {}, {}, 0, 0
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("codes")) do all_codes[k] = (all_codes[k] or 0) + v end
    for _, v in ipairs(thread:get("lat")) do all_lat[#all_lat + 1] = string.format("%.3f", v) end
    all_retry = all_retry + thread:get("retry")
    all_dropped = all_dropped + thread:get("dropped")
  end
  local parts = {}
  for k, v in pairs(all_codes) do parts[#parts + 1] = string.format('"%d":%d', k, v) end
  local e = summary.errors
  local out = io.open(os.getenv("WRK_OUT") or "wrk_out.json", "w")
  out:write(string.format(
    '{"seconds":%.6f,"codes":{%s},"retry_after":%d,"dropped":%d,"errors":%d,"latencies_ms":[%s]}',
    summary.duration / 1e6, table.concat(parts, ","), all_retry, all_dropped,
    e.connect + e.read + e.write + e.timeout, table.concat(all_lat, ",")))
  out:close()
end
