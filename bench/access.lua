-- wrk script: GET /access with the mix a gateway asks, over the policies that
-- bench/decisions loads (BenchWorkload.decisions): policy n is on vendor Vendor(n % 1000),
-- product Product(n // 1000), segment police, in force from 2026-01-01 to 2040-01-01 with
-- Thorn exempt; every fourth one (n % 4 == 0) also had a moratorium from 2020-06-10 to 2021-06-10.
--
--   40 % hits        a product under a moratorium: denied
--   25 % misses      an unknown product of a known vendor: allowed, no policy
--   20 % exemptions  organization=Thorn (exempt: allowed) or Acme (not exempt: denied)
--   15 % the past    at=2020-12-01 or an RFC 3339 instant in 2021: denied where the 2020
--                    moratorium ran, otherwise allowed (the current one starts later)
-- A tenth of requests spell the names in lower case (names match case-insensitively).
--
-- Arguments (after --): number of policies (default 20000); optional per-connection pause in
-- ms between requests (pacing: about connections * 1000 / pause requests per second); optional
-- endpoint instead of /access (bench/decisions sends the same requests to /ops/ping, so that the
-- baseline costs wrk, which shares the CPU, as much per request as the /access rounds do);
-- optional asOf value added to every request (bench/decisions' "as known by" rounds: the answer
-- is replayed from each policy's history, read from the database once and then kept in memory,
-- instead of read from the access index).

local policies = 20000
local pause = 0
local endpoint = "/access"
local threads = 0
local asOf = nil

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  if args[1] then policies = tonumber(args[1]) end
  if args[2] then pause = tonumber(args[2]) end
  if args[3] then endpoint = args[3] end
  if args[4] and args[4] ~= "" then asOf = args[4] end
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
  if pause > 0 then
    delay = function() return pause end
  end
end

local function names(n)
  local vendor = "Vendor" .. (n % 1000)
  local product = "Product" .. math.floor(n / 1000)
  if math.random(10) == 1 then
    vendor = string.lower(vendor)
    product = string.lower(product)
  end
  return vendor, product
end

request = function()
  local r = math.random(100)
  local n = math.random(0, policies - 1)
  local vendor, product = names(n)
  local path
  if r <= 40 then
    path = endpoint .. "?vendor=" .. vendor .. "&product=" .. product .. "&segment=police"
  elseif r <= 65 then
    path = endpoint .. "?vendor=" .. vendor .. "&product=Unknown" .. n .. "&segment=police"
  elseif r <= 85 then
    local org = (r <= 77) and "Thorn" or "Acme"
    path = endpoint .. "?vendor=" .. vendor .. "&product=" .. product .. "&segment=police&organization=" .. org
  else
    local at = (r <= 92) and "2020-12-01" or "2021-03-15T12:30:00Z"
    path = endpoint .. "?vendor=" .. vendor .. "&product=" .. product .. "&segment=police&at=" .. at
  end
  if asOf then
    path = path .. "&asOf=" .. asOf
  end
  return wrk.format("GET", path)
end
