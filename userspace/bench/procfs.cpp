// SPDX-License-Identifier: GPL-2.0
// Benchmark of the procfs pair: pread and open+read+close of its
// seq_file `records` (pread at 0 makes it print the first record again).
#include "bench.hpp"

#include <kuipc/procfs.h>

namespace {
const kuipc::bench::FileAttr reg("procfs", KUIPC_PROCFS_RECORDS_PATH);
} // namespace
