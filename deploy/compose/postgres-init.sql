-- Run once by the postgres image when its volume is new: the login of the servers' and workers'
-- requests, with a password (the image authenticates every login by password). The migrations
-- create this role without one when it is missing and grant it the request roles; set your own
-- password here (and in AUTH_DATABASE_URL) for anything but a trial.
create role imgplane_authenticator login noinherit password 'imgplane-authenticator';
