"""Domain logic: knowledge, risks, regions, noodpakket planner, household parsing, safety. Plain Python, no Rasa, no web."""
