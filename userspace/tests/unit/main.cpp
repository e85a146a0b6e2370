// SPDX-License-Identifier: GPL-2.0
// Host-side unit tests: pure user-space logic, no kernel module involved.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
