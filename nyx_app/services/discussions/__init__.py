"""Expert discussions: 2-5 personas answer a question in turn, then a synthesis and a plan.

How it fits the run engine: every round of answers is a run (kind ``discussion``) whose generated
definition has one step per persona, each depending on the one before and naming the earlier
answers of its round in its prompt (``{{steps.turn_1.output}}``); the question and the transcript
of earlier rounds are written into the prompts as literal text. "Best approach" is a run with one
synthesis step over the transcript, "Implement" a run with one plan step whose answer is saved as
a project note when the run succeeds (``engine/finishers.py``). So a discussion streams live,
survives a closed tab or a restarted worker, and costs are recorded like any run's.

Messages (``models/discussion.py``): the user's question is a message with its text; every other
message points at its run and step, whose row holds the text (streamed), status, model, tokens,
cost and failed attempts. One active run per discussion (``runs/guard.py``).

- ``prompts``: the generated definitions (pure functions).
- ``store``: create, list, rename, delete.
- ``turns``: follow-up rounds, best approach, implement, stop, retry.
- ``views``: what the discussion page shows, read in one transaction.
- ``plan_note``: the finisher that saves a plan as a note.
"""
