"""Recorded traffic: reading cassettes, corpus files and bodies into exchanges (cassette), and
vcrpy recording with redaction, matching and atomic saves (recording).
May import: core, net."""
