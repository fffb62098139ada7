-- Random 1 MiB byte ranges into the 200 MB MP4.
local size = 200 * 1000 * 1000
local chunk = 1048576
math.randomseed(42)
request = function()
  local first = math.random(0, size - chunk)
  return wrk.format("GET", "/media/1/1/download.mp4", { ["Range"] = "bytes=" .. first .. "-" .. (first + chunk - 1) })
end
