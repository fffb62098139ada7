-- GET /api/v1/search rotating over realistic Italian queries (words, accents, elision,
-- phrases, OR, exclusion, body and year filters, sorting, a second page).
local queries = {
  "q=bilancio",
  "q=variante",
  "q=consiglio",
  "q=alluvione",
  "q=parcheggi",
  "q=illuminazione%20pubblica",
  "q=scuola",
  "q=rifiuti",
  "q=mobilit%C3%A0",
  "q=dell%27ambiente",
  "q=%22piano%20regolatore%22",
  "q=%22bilancio%20di%20previsione%22",
  "q=%22raccolta%20differenziata%22",
  "q=bilancio&body=consiglio-comunale&from=2009&to=2012",
  "q=variante&body=commissione-urbanistica",
  "q=mozione&kind=agenda_item",
  "q=interrogazione&sort=newest",
  "q=asilo%20OR%20scuola",
  "q=rifiuti%20-imu",
  "q=seduta&per_page=2&page=2",
}
local i = 0

function setup(thread)
  i = i + 1
  thread:set("offset", i * 7)
end

function request()
  i = i + 1
  local q = queries[((i + (tonumber(offset) or 0)) % #queries) + 1]
  return wrk.format("GET", "/api/v1/search?" .. q)
end
