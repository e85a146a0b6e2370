// SPDX-License-Identifier: GPL-2.0
// Benchmark of the sysfs pair: pread and open+read+close of its
// attribute `value`.
#include "bench.hpp"

#include <kuipc/sysfs.h>

namespace {
const kuipc::bench::FileAttr reg("sysfs", KUIPC_SYSFS_VALUE_PATH);
} // namespace
