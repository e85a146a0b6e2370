// SPDX-License-Identifier: GPL-2.0
// Benchmark of the debugfs pair: open+read+close of `value`, but
// pread of `info` (the blob): debugfs' number files are opened
// non-seekable and pread on them fails with ESPIPE.
#include "bench.hpp"

#include <kuipc/debugfs.h>

namespace {
const kuipc::bench::FileAttr reg("debugfs", KUIPC_DEBUGFS_VALUE_PATH,
				 KUIPC_DEBUGFS_INFO_PATH);
} // namespace
