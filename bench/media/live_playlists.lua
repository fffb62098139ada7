-- A live viewer's playlists (a rung's, fetched every segment) at the live address.
local paths = { "/live/1/360p/index.m3u8", "/live/1/240p/index.m3u8" }
math.randomseed(42)
request = function()
  return wrk.format("GET", paths[math.random(1, #paths)])
end
