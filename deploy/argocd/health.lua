-- Argo CD health of a SyncJob (syncjob.io/SyncJob), for resource.customizations in argocd-cm.
-- Progressing until the operator has seen the current generation and while the job prechecks,
-- initializes or (re)starts its worker; Healthy when Ready; Suspended when paused; Degraded when
-- the precheck failed, the job failed or stalled, or a synced job is not Ready, with the reason.
local hs = { status = "Progressing", message = "Waiting for the operator" }

local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function said(c)
  if c == nil then
    return ""
  end
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason or ""
end

-- Reasons of a Ready condition that is False only while the operator replaces the worker.
local starting = { Pending = true, Prechecking = true, WorkerStarting = true, WorkerUpdating = true, WorkerRestarting = true }

if obj.status == nil or obj.status.observedGeneration == nil
    or (obj.metadata.generation ~= nil and obj.status.observedGeneration < obj.metadata.generation) then
  return hs
end

local phase = obj.status.phase
local ready = condition("Ready")
local stalled = condition("Stalled")

if phase == "Paused" then
  hs.status = "Suspended"
  hs.message = "Paused (spec.state: paused)"
elseif phase == "Failed" or (stalled ~= nil and stalled.status == "True") then
  hs.status = "Degraded"
  hs.message = said(stalled ~= nil and stalled.status == "True" and stalled or ready)
elseif phase == "PrecheckFailed" then
  hs.status = "Degraded"
  hs.message = said(condition("PrecheckSucceeded") or ready)
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = said(ready)
elseif phase == "Syncing" and ready ~= nil and not starting[ready.reason] then
  hs.status = "Degraded"
  hs.message = said(ready)
else
  hs.status = "Progressing"
  hs.message = said(ready)
  if hs.message == "" then
    hs.message = phase or "Waiting for the operator"
  end
end
return hs
