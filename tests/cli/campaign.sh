#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# memfail campaign: parse errors, a small campaign, 1 vs 2 MPI ranks (tests/campaigns/run.sh).
exec tests/campaigns/run.sh
