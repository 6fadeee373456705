"""The foundation every package stands on: errors, the clock, paths, secrets, file reading.

It imports none of signoff's other packages.
"""
