"""The hazards core: what every part of the hazards app builds on, and nothing else.

- `locks`: row locks on hazards and tasks, always in the order below.
- `lifecycle`: which status may follow which, and `hazard_transition`, the one writer of a
  hazard's status (plus raising a severity and what follows a verification).
- `events`: who follows a hazard (its live topics) and one builder per live event payload.
- `policy`: who may do what with a hazard or a task.
- `clean`: the cleaners of notes, free text and severities, and their limits.
- `serializers`: the API shapes every part shares (photos, category references).

Layers, each importing only those below it (never sideways between dispatch and reports):

    hazards.premises → hazards.triage → hazards.dispatch | hazards.reports → hazards.core

The models, settings (`conf`), photo pipeline and Celery tasks sit beside these layers: every
layer may use the models, conf and the photo pipeline; nothing imports `hazards.tasks` (services
queue work by task name through govern.task_outbox).

Lock order. Every service that locks more than one row takes them in this one order, each kind by
primary key, so two services never wait for each other in a circle:

    campaign premises → inspection → campaign      (inspection campaigns, hazards.premises.campaigns)
    → sensor                                       (sensor alerts: the sensor, then what it follows)
    → hazard(s)                                    (`lock_hazard`, `lock_hazards`: lowest id first)
    → task(s)                                      (`lock_task`: its hazard first; then tasks by id)
    → photo rows                                   (a hazard's or a task's, by id, under their owner)
    → volunteer → service record                   (service minutes credited at verification)
    → the live outbox's publish lock               (govern.live: always last)

Hazards and tasks are locked FOR NO KEY UPDATE (see `locks`); a transaction PostgreSQL still aborts
for a deadlock runs again (govern.db_retry).

Points are never locked here: awards are queued on commit (govern.task_outbox) and take the
rewards locks in their own transaction.
"""
