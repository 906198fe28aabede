#include "governance/redis_scripts.h"

namespace nexus::governance {

// Money is passed and added as decimal strings (HINCRBY is exact on 64-bit integers); Lua's own
// numbers are doubles, exact up to 2^53 nano-USD (about $9 million), which bounds the exactness
// of the budget comparison only.
//
// Keys, for a scope tagged T (its kind's letter and id, in braces: one hash slot per scope):
//   nx:{T}:m:<minute>           hash r (requests), t (tokens) of that minute; expires in 120 s
//   nx:{T}:mm:<model>:<minute>  the same for one model
//   nx:{T}:f                    sorted set: the requests in flight, scored by lease deadline
//   nx:{T}:fm:<model>           the same for one model
//   nx:{T}:r                    hash: request -> its reservation, and _total, their sum
//   nx:{T}:b:<period start>     hash s (spent in the period), a (soft budget alert raised)
const std::string_view kAdmitScript = R"lua(
local now = tonumber(ARGV[1])
local minute = ARGV[2]
local tokens = tonumber(ARGV[3])
local reserve = tonumber(ARGV[4])
local model = ARGV[5]
local member = ARGV[6]
local lease = tonumber(ARGV[7])
local n = tonumber(ARGV[8])
local S = 10

-- Requests whose lease ended (their instance died before settling them) stop counting, and
-- their reservations are released.
local function expire(prefix, has_model)
  local flight = prefix .. 'f'
  local gone = redis.call('ZRANGEBYSCORE', flight, '-inf', now, 'LIMIT', 0, 1000)
  if #gone > 0 then
    local reservations = prefix .. 'r'
    for _, id in ipairs(gone) do
      local amount = redis.call('HGET', reservations, id)
      if amount then
        redis.call('HDEL', reservations, id)
        redis.call('HINCRBY', reservations, '_total', '-' .. amount)
      end
      redis.call('ZREM', flight, id)
    end
  end
  if has_model then
    redis.call('ZREMRANGEBYSCORE', prefix .. 'fm:' .. model, '-inf', now)
  end
end

-- The same order as ScopeState::check: max_parallel, rpm, tpm.
local function check(rpm, tpm, parallel, counts_key, flight_key)
  if parallel > 0 and redis.call('ZCARD', flight_key) >= parallel then
    return {'max_parallel', parallel, 0}
  end
  local counts = redis.call('HMGET', counts_key, 'r', 't')
  local requests = tonumber(counts[1] or '0')
  local used = tonumber(counts[2] or '0')
  if rpm > 0 and requests + 1 > rpm then
    return {'rpm', rpm, used}
  end
  if tpm > 0 and used + tokens > tpm then
    return {'tpm', tpm, used}
  end
  return nil
end

for i = 1, n do
  local b = 8 + (i - 1) * S
  local prefix = 'nx:{' .. ARGV[b + 1] .. '}:'
  local has_model = ARGV[b + 5] == '1'
  expire(prefix, has_model)
  local refused = check(tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]),
                        prefix .. 'm:' .. minute, prefix .. 'f')
  if refused then
    return {1, i, 0, refused[1], refused[2], refused[3]}
  end
  if has_model then
    refused = check(tonumber(ARGV[b + 6]), tonumber(ARGV[b + 7]), tonumber(ARGV[b + 8]),
                    prefix .. 'mm:' .. model .. ':' .. minute, prefix .. 'fm:' .. model)
    if refused then
      return {1, i, 1, refused[1], refused[2], refused[3]}
    end
  end
  local hard = tonumber(ARGV[b + 9])
  if hard > 0 then
    local spent = redis.call('HGET', prefix .. 'b:' .. ARGV[b + 10], 's')
    if not spent then
      return {2, i}
    end
    local reserved = redis.call('HGET', prefix .. 'r', '_total') or '0'
    if tonumber(spent) + tonumber(reserved) + reserve > hard then
      return {1, i, 0, 'budget', spent, reserved}
    end
  end
end

-- Every scope agrees: take from all of them.
local deadline = now + lease
local keep = lease + 60000
local function take(counts_key, flight_key)
  redis.call('HINCRBY', counts_key, 'r', 1)
  if tokens > 0 then
    redis.call('HINCRBY', counts_key, 't', tokens)
  end
  redis.call('EXPIRE', counts_key, 120)
  redis.call('ZADD', flight_key, deadline, member)
  redis.call('PEXPIRE', flight_key, keep)
end
for i = 1, n do
  local b = 8 + (i - 1) * S
  local prefix = 'nx:{' .. ARGV[b + 1] .. '}:'
  take(prefix .. 'm:' .. minute, prefix .. 'f')
  if ARGV[b + 5] == '1' then
    take(prefix .. 'mm:' .. model .. ':' .. minute, prefix .. 'fm:' .. model)
  end
  if tonumber(ARGV[b + 9]) > 0 and reserve > 0 then
    local reservations = prefix .. 'r'
    redis.call('HSET', reservations, member, ARGV[4])
    redis.call('HINCRBY', reservations, '_total', ARGV[4])
    redis.call('PEXPIRE', reservations, keep)
  end
end
return {0}
)lua";

const std::string_view kSettleScript = R"lua(
local now_minute = ARGV[2]
local admit_minute = ARGV[3]
local estimate = tonumber(ARGV[4])
local used = tonumber(ARGV[5])
local model = ARGV[7]
local member = ARGV[8]
local n = tonumber(ARGV[9])
local S = 5

-- As ScopeState::settle: the estimate counted in the minute of admission is taken back (if this
-- request was counted there), and what was used is counted in the minute it became known.
local function correct(counts_prefix, flight_key)
  local counted = redis.call('ZREM', flight_key, member) == 1
  if counted and estimate > 0 then
    local admitted = counts_prefix .. admit_minute
    local current = tonumber(redis.call('HGET', admitted, 't') or '0')
    if current > 0 then
      redis.call('HINCRBY', admitted, 't', string.format('%d', -math.min(current, estimate)))
    end
  end
  if used > 0 then
    local counts = counts_prefix .. now_minute
    redis.call('HINCRBY', counts, 't', used)
    redis.call('EXPIRE', counts, 120)
  end
end

local alerts = {}
for i = 1, n do
  local b = 9 + (i - 1) * S
  local prefix = 'nx:{' .. ARGV[b + 1] .. '}:'
  correct(prefix .. 'm:', prefix .. 'f')
  if ARGV[b + 2] == '1' then
    correct(prefix .. 'mm:' .. model .. ':', prefix .. 'fm:' .. model)
  end
  local reservations = prefix .. 'r'
  local amount = redis.call('HGET', reservations, member)
  if amount then
    redis.call('HDEL', reservations, member)
    redis.call('HINCRBY', reservations, '_total', '-' .. amount)
  end
  -- A period whose counters are gone (Redis restarted) is rebuilt from the ledger by the next
  -- admission; adding to nothing here would make it look rebuilt.
  local budget = prefix .. 'b:' .. ARGV[b + 4]
  if ARGV[b + 3] == '1' and redis.call('EXISTS', budget) == 1 then
    local spent = redis.call('HINCRBY', budget, 's', ARGV[6])
    local soft = tonumber(ARGV[b + 5])
    if soft > 0 and spent >= soft and redis.call('HSETNX', budget, 'a', '1') == 1 then
      table.insert(alerts, i)
      table.insert(alerts, spent)
    end
  end
end
return alerts
)lua";

}  // namespace nexus::governance
