"""Webhooks: a workspace's HTTPS endpoints told when runs finish, reviews wait and reports are ready.

``store``: add, change, remove (owners and admins), with the outbound address rule checked when a
URL is saved. ``signing``: the documented signature. ``deliver``: one attempt of one delivery, its
outcome logged on the delivery row. Deliveries are created by database triggers in the
transaction that finished the run or saved the report (migration 0019) and sent by jobs.
"""
