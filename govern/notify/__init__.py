"""Notifications that reach people whose page is closed (issue 22).

The road: `govern.live.publish_many()` hands every event it writes to `record.record_for_events()`
(registered in GovernConfig.ready) in the SAME transaction; the kinds registry (`kinds`) says who hears of it and how, and one
`Notification` row per (event, person, channel) is written next to the event — as durable as the
live road, and unique per (event, user, channel) in the database, so nothing is ever sent twice.
After the commit `govern.task_outbox` hands the row ids to `govern.tasks.deliver_notifications`
(embedded mode: at once, in this process). Delivery (`delivery`) claims a row with one guarded
UPDATE (pending → sending) before it calls its channel, so a redelivered Celery message finds
nothing to do. Rows that are not due yet (quiet hours, the offer ladder) or whose send failed
wait for the sweep (`govern.tasks.sweep_notifications`, every minute, beat and embedded beat),
which also finds whatever a broker outage at commit left behind.

Channels (`channels/`): inbox (always; a `notification.created` live event updates open pages),
Web Push (VAPID, pywebpush), e-mail (Django mail, SMTP from the environment) and SMS (a backend
interface: console/file for embedded mode, Aliyun SMS for production).

Modules: the tables are in govern.models (Notification, NotificationPreference, PushSubscription); kinds (what is notified, titles, defaults), record (rows from events),
prefs (preferences, quiet hours), delivery (send, retry, sweep, offer ladder conditions),
services (writes from people), selectors (reads), api / views (HTTP).
"""
