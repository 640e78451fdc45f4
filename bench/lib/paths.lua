-- wrk script for the imgplane bench (bench/lib/wrk.ts). Arguments after `--`:
--   fixed  <path>                          every request asks for <path>
--   unique <template> <offset>             every request a never-seen variant: {w} in <template>
--                                          becomes the width numbered offset, offset+1, ... (in
--                                          a scattered order, see unique_path)
--   mixed  <path> <template> <offset> <n>  every n-th request as `unique`, the others <path>
-- At the end it prints one line `BENCH_JSON {...}` with the counts and latency percentiles.

local threads = {}
local counter = 0
local misses = 0
local mode, fixed, template, offset, every
local thread_index, thread_count = 0, 1

function setup(thread)
  -- Becomes the global `bench_thread` inside that thread's Lua state.
  thread:set("bench_thread", #threads)
  table.insert(threads, thread)
end

function init(args)
  mode, fixed, template = args[1], args[2], args[3]
  if mode == "unique" then template, offset = args[2], tonumber(args[3]) else offset = tonumber(args[4] or "0") end
  every = tonumber(args[5] or "0")
  thread_index = tonumber(bench_thread or 0)
  thread_count = tonumber(os.getenv("BENCH_WRK_THREADS") or "1")
end

-- Widths 200..2700 in a scattered order (7919 is prime to 2501), so any window of requests mixes
-- small and large variants; the stride by thread keeps threads from repeating each other.
local function unique_path()
  local n = offset + misses * thread_count + thread_index
  misses = misses + 1
  local width = 200 + (n * 7919) % 2501
  return (template:gsub("{w}", tostring(width)))
end

function request()
  counter = counter + 1
  local path
  if mode == "fixed" then
    path = fixed
  elseif mode == "unique" then
    path = unique_path()
  elseif counter % every == 0 then
    path = unique_path()
  else
    path = fixed
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
