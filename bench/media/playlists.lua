-- The master and media playlists, as players fetch them.
local paths = { "/media/1/1/master.m3u8", "/media/1/1/720p/index.m3u8",
                "/media/1/1/360p/index.m3u8", "/media/1/1/240p/index.m3u8" }
math.randomseed(42)
request = function()
  return wrk.format("GET", paths[math.random(1, #paths)])
end
