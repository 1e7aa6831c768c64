"""The Redis side of :class:`~aegis.risk.features.RedisState`: the same steps as
``_memory._touch`` and ``_memory._append``, in Lua, so that one transaction costs one round
trip and is applied atomically (two workers never interleave on a stream).

Numbers cross the boundary as ``%.17g`` text (Lua's own conversion keeps 14 digits only),
and both sides compute in IEEE doubles in the same order, so readings are bit-identical.

Keys, under the tenant's prefix ``P`` (``S`` = kind index + hashed entity value):
``P:h:S`` hash: head, seq, off, window cursors c1.., risk cursors rin r1.., per currency
``a:CUR`` = n1,s1,n2,s2,...,sumsq and ``m:CUR`` = the suffix maxima t,a,t,a,... (short: a few
entries), ``dJ`` when attribute J has values, ``x`` when the expiries were last refreshed;
``P:l:S`` list, the log ``time|amount|currency``; ``P:p:S:CUR`` zset, the amounts of the
longest window (member = absolute log index); ``P:d:S:J`` zset, attribute J's values by last
seen; ``P:f:S`` hash, fraud labels ``tx -> time|usable_at``; ``P:x:TX`` the risk streams of
a transaction, for labels that come later.

Every ``redis.call`` costs about 2 µs of the server's single thread, so the script saves
them: expiries are refreshed every eighth of the TTL rather than on every write (a key made
in between gets its own at once), pruning runs on every 16th write (queries filter by time
anyway), and a small distinct set is read in one call. A key that outlived its stream
(expiries drift by less than the refresh period) is deleted before the stream is made
again, and never read: the hash says which keys belong to the current stream.
"""

from __future__ import annotations

APPLY = r"""
local P = ARGV[1]
local read = ARGV[2] ~= 'w'
local write = ARGV[2] ~= 'r'
local txid = ARGV[3]
local t = tonumber(ARGV[4])
local amount = tonumber(ARGV[5])
local currency = ARGV[6]
local R = tonumber(ARGV[7])
local delay = tonumber(ARGV[8])
local ttl = tonumber(ARGV[9])
local nw = tonumber(ARGV[10])
local W = {}
for i = 1, nw do W[i] = tonumber(ARGV[10 + i]) end
local pos = 11 + nw
local nr = tonumber(ARGV[pos])
local RW = {}
for j = 1, nr do RW[j] = tonumber(ARGV[pos + j]) end
pos = pos + nr + 1
local ns = tonumber(ARGV[pos])
pos = pos + 1

local out = {}
local refs = {}
local now = 0
if write then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
end
-- %d is two to three times cheaper than %.17g, and exact for integers below 2^53; every
-- number here is an integer (minor units, microseconds, counts) short of pathological sums
local function f(x)
  if x == math.floor(x) and x > -9007199254740992 and x < 9007199254740992 then
    return string.format('%d', x)
  end
  return string.format('%.17g', x)
end
local function push(x) out[#out + 1] = x end
-- A reading: an integer reply when exact (no formatting at all), else text; nil: missing.
local function num(x)
  if x == nil then
    out[#out + 1] = ''
  elseif x == math.floor(x) and x > -9007199254740992 and x < 9007199254740992 then
    out[#out + 1] = x
  else
    out[#out + 1] = string.format('%.17g', x)
  end
end
local function numbers(s)
  local a = {}
  if s then
    for v in string.gmatch(s, '[^,]+') do a[#a + 1] = tonumber(v) end
  end
  return a
end
local function pack(a)
  local parts = {}
  for k = 1, #a do parts[k] = f(a[k]) end
  return table.concat(parts, ',')
end

for _ = 1, ns do
  local sid = ARGV[pos]
  local flags = ARGV[pos + 1]
  local na = tonumber(ARGV[pos + 2])
  local vals = {}
  for j = 1, na do vals[j] = ARGV[pos + 2 + j] end
  pos = pos + 3 + na
  local velocity = string.sub(flags, 1, 1) == '1'
  local moments = string.sub(flags, 2, 2) == '1'
  local risk = string.sub(flags, 3, 3) == '1'
  local H = P .. ':h:' .. sid
  local L = P .. ':l:' .. sid
  local F = P .. ':f:' .. sid
  local D = P .. ':d:' .. sid .. ':'
  local PK = P .. ':p:' .. sid .. ':' .. currency
  local raw = redis.call('HGETALL', H)
  local st = {}
  for k = 1, #raw, 2 do st[raw[k]] = raw[k + 1] end
  local head = tonumber(st['head'])
  if head ~= nil and head <= t - R then
    st = {}  -- idle longer than the retention: forgotten
    head = nil
  end
  local fresh = head == nil
  if fresh and write then
    -- whatever is left under this stream's keys belongs to a stream that is gone
    local dead = {H, L, F, PK}
    for field, _ in pairs(st) do
      if string.sub(field, 1, 2) == 'a:' then
        dead[#dead + 1] = P .. ':p:' .. sid .. ':' .. string.sub(field, 3)
      end
    end
    for j = 1, na do dead[#dead + 1] = D .. j end
    redis.call('DEL', unpack(dead))
  end
  local eff = t
  if head ~= nil and head >= t then eff = head end
  local seq = tonumber(st['seq'] or '0')
  local off = tonumber(st['off'] or '0')
  local cache = {}
  local function entry(i)
    local e = cache[i]
    if e == nil then
      local et, ea, ec = string.match(redis.call('LINDEX', L, i - off), '^([^|]*)|([^|]*)|(.*)$')
      e = {tonumber(et), tonumber(ea), ec}
      cache[i] = e
    end
    return e
  end

  local aggs = {}
  local cursors = {}
  local new_currency = st['a:' .. currency] == nil
  if velocity then
    if read then
      if head ~= nil then num(eff - head) else push('') end
    end
    local agg = nil
    if not new_currency then
      agg = numbers(st['a:' .. currency])
      aggs[currency] = agg
    end
    -- suffix maxima: times increasing, amounts decreasing
    local stack = numbers(st['m:' .. currency])
    local sumsq, below, equal, top_n = 0, 0, 0, 0
    if moments and agg then
      sumsq = agg[2 * nw + 1]
      below = redis.call('ZCOUNT', PK, '-inf', '(' .. f(amount))
      equal = redis.call('ZCOUNT', PK, f(amount), f(amount))
    end
    for i = 1, nw do
      local bound = eff - W[i]
      local c = tonumber(st['c' .. i] or '0')
      local n, total = 0, 0
      if agg then n, total = agg[2 * i - 1], agg[2 * i] end
      local last = moments and i == nw
      while c < seq do
        local e = entry(c)
        local et, ea, ec = e[1], e[2], e[3]
        if et > bound then break end
        if write then
          local e_agg = aggs[ec]
          if e_agg == nil then
            e_agg = numbers(st['a:' .. ec])
            aggs[ec] = e_agg
          end
          e_agg[2 * i - 1] = e_agg[2 * i - 1] - 1
          e_agg[2 * i] = e_agg[2 * i] - ea
          if last then
            e_agg[2 * nw + 1] = e_agg[2 * nw + 1] - ea * ea
            redis.call('ZREM', P .. ':p:' .. sid .. ':' .. ec, f(c))
          end
        end
        if ec == currency then
          n = n - 1
          total = total - ea
          if last then
            sumsq = sumsq - ea * ea
            if ea < amount then below = below - 1 elseif ea == amount then equal = equal - 1 end
          end
        end
        c = c + 1
      end
      cursors[i] = c
      top_n = n
      if read then
        local high = nil
        for k = 1, #stack, 2 do
          if stack[k] > bound then
            high = stack[k + 1]
            break
          end
        end
        num(seq - c)
        if n > 0 then
          num(total)
          num(total / n)
        else
          push(0)
          push('')
        end
        num(high)
      end
    end
    if read then
      local widest = eff - W[nw]
      for j = 1, na do
        if st['d' .. j] == nil then
          for i = 1, nw do push(0) end
        else
          local got = redis.call(
            'ZRANGEBYSCORE', D .. j, '(' .. f(widest), '+inf', 'WITHSCORES', 'LIMIT', 0, 32
          )
          if #got < 64 then  -- the whole longest window: count the others here
            for i = 1, nw do
              local bound, n = eff - W[i], 0
              for k = 2, #got, 2 do
                if tonumber(got[k]) > bound then n = n + 1 end
              end
              num(n)
            end
          else
            for i = 1, nw do
              push(redis.call('ZCOUNT', D .. j, '(' .. f(eff - W[i]), '+inf'))
            end
          end
        end
      end
      if moments then
        local horizon = eff - R
        for j = 1, na do
          if vals[j] == '' then
            push('')
          else
            local when = false
            if st['d' .. j] ~= nil then when = redis.call('ZSCORE', D .. j, vals[j]) end
            if when and tonumber(when) > horizon then push(1) else push(0) end
          end
        end
        num(sumsq)
        num(below)
        num(equal)
        num(top_n)
      end
    end
    if write then
      while #stack > 0 and stack[#stack] <= amount do
        stack[#stack] = nil
        stack[#stack] = nil
      end
      stack[#stack + 1] = eff
      stack[#stack + 1] = amount
      local oldest, first = eff - W[nw], 1
      while stack[first] <= oldest do first = first + 2 end
      local kept = {}
      for k = first, #stack do kept[#kept + 1] = stack[k] end
      st['m:' .. currency] = pack(kept)
    end
  end

  local rin = 0
  local rcur = {}
  local frauds = {}
  if risk then
    local hi = eff - delay
    rin = tonumber(st['rin'] or '0')
    while rin < seq and entry(rin)[1] <= hi do rin = rin + 1 end
    if not fresh then
      local fr = redis.call('HGETALL', F)
      for k = 1, #fr, 2 do
        local tt, ua = string.match(fr[k + 1], '^([^|]*)|(.*)$')
        frauds[#frauds + 1] = {tonumber(tt), tonumber(ua), fr[k]}
      end
    end
    local first, latest = nil, nil
    for j = 1, nr do
      local lo = hi - RW[j]
      local r = tonumber(st['r' .. j] or '0')
      while r < seq and entry(r)[1] <= lo do r = r + 1 end
      rcur[j] = r
      if read then
        local hits = 0
        for _, fx in ipairs(frauds) do
          if fx[1] > lo and fx[1] <= hi and fx[2] <= eff then
            hits = hits + 1
            if j == nr then
              if first == nil or fx[1] < first then first = fx[1] end
              if latest == nil or fx[1] > latest then latest = fx[1] end
            end
          end
        end
        num(rin - r)
        num(hits)
      end
    end
    if read then
      if first ~= nil then
        num(eff - first)
        num(eff - latest)
      else
        push('')
        push('')
      end
    end
  end

  if write then
    redis.call('RPUSH', L, f(eff) .. '|' .. f(amount) .. '|' .. currency)
    st['head'] = f(eff)
    st['seq'] = f(seq + 1)
    local prune = seq % 16 == 0
    local refresh = st['x'] == nil or now - tonumber(st['x']) > ttl / 8
    local keep = seq + 1
    if velocity then
      for i = 1, nw do st['c' .. i] = f(cursors[i]) end
      local agg = aggs[currency]
      if agg == nil then
        agg = {}
        for k = 1, 2 * nw + 1 do agg[k] = 0 end
        aggs[currency] = agg
      end
      for i = 1, nw do
        agg[2 * i - 1] = agg[2 * i - 1] + 1
        agg[2 * i] = agg[2 * i] + amount
      end
      if moments then
        agg[2 * nw + 1] = agg[2 * nw + 1] + amount * amount
        if new_currency and not fresh then redis.call('DEL', PK) end
        redis.call('ZADD', PK, f(amount), f(seq))
        if new_currency then redis.call('PEXPIRE', PK, ttl) end
      end
      for cur, a in pairs(aggs) do st['a:' .. cur] = pack(a) end
      for j = 1, na do
        local made = st['d' .. j] == nil
        if vals[j] ~= '' then
          if made and not fresh then redis.call('DEL', D .. j) end
          redis.call('ZADD', D .. j, f(eff), vals[j])
          if made then
            redis.call('PEXPIRE', D .. j, ttl)
            st['d' .. j] = '1'
          end
        end
        if prune and not made then redis.call('ZREMRANGEBYSCORE', D .. j, '-inf', f(eff - R)) end
      end
      keep = math.min(keep, cursors[nw])
    end
    if risk then
      st['rin'] = f(rin)
      for j = 1, nr do st['r' .. j] = f(rcur[j]) end
      if prune then
        local oldest = eff - delay - RW[nr]
        for _, fx in ipairs(frauds) do
          if fx[1] <= oldest then redis.call('HDEL', F, fx[3]) end
        end
      end
      refs[#refs + 1] = sid
      refs[#refs + 1] = f(eff)
      keep = math.min(keep, rcur[nr])
    end
    if keep - off >= 64 then
      redis.call('LTRIM', L, keep - off, -1)
      off = keep
    end
    st['off'] = f(off)
    if refresh then st['x'] = f(now) end
    local args = {}
    for k, v in pairs(st) do
      args[#args + 1] = k
      args[#args + 1] = v
    end
    redis.call('HSET', H, unpack(args))
    if refresh then
      redis.call('PEXPIRE', H, ttl)
      redis.call('PEXPIRE', L, ttl)
      redis.call('PEXPIRE', F, ttl)
      for field, _ in pairs(st) do
        if moments and string.sub(field, 1, 2) == 'a:' then
          redis.call('PEXPIRE', P .. ':p:' .. sid .. ':' .. string.sub(field, 3), ttl)
        end
      end
      for j = 1, na do
        if st['d' .. j] ~= nil then redis.call('PEXPIRE', D .. j, ttl) end
      end
    end
  end
end

if write and #refs > 0 then
  redis.call('SET', P .. ':x:' .. txid, table.concat(refs, '|'), 'PX', ttl)
end
return out
"""

LABEL = r"""
local P, txid, fraud, usable, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local refs = redis.call('GET', P .. ':x:' .. txid)
if not refs then return 0 end
local parts = {}
for p in string.gmatch(refs, '[^|]+') do parts[#parts + 1] = p end
for k = 1, #parts, 2 do
  local F = P .. ':f:' .. parts[k]
  if fraud == '1' then
    redis.call('HSET', F, txid, parts[k + 1] .. '|' .. usable)
    redis.call('PEXPIRE', F, ttl)
  else
    redis.call('HDEL', F, txid)
  end
end
return 1
"""
