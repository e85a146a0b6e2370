// SPDX-License-Identifier: GPL-2.0
// Benchmark of the configfs pair: pread and open+read+close of
// `settings/initial`. configfs fills its read buffer once per open file,
// so the pread row measures that cached buffer; open+read+close is the
// attribute's real cost.
#include "bench.hpp"

#include <kuipc/configfs.h>

namespace {
const kuipc::bench::FileAttr reg("configfs", KUIPC_CONFIGFS_INITIAL_PATH);
} // namespace
