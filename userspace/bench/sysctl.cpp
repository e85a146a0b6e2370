// SPDX-License-Identifier: GPL-2.0
// Benchmark of the sysctl pair: pread and open+read+close of its
// `value` (proc_dointvec_minmax).
#include "bench.hpp"

#include <kuipc/sysctl.h>

namespace {
const kuipc::bench::FileAttr reg("sysctl", KUIPC_SYSCTL_VALUE_PATH);
} // namespace
