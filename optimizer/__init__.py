"""Pure models over matrices: routing, insertion checks, site selection and scorecards.

No storage and no HTTP here; everything takes plain data and returns plain data.
"""
