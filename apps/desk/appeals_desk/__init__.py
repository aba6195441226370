"""The operators' desk: the contact centre and the front office register appeals and answer consultations."""
