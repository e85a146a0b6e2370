// SPDX-License-Identifier: GPL-2.0
// Loading and unloading the suite's kernel modules (finit_module/delete_module).
#pragma once

#include <string>

namespace kuipc {

/* Directory holding kuipc_<mech>.ko: $KUIPC_MODULE_DIR or /lib/kuipc. */
std::string module_dir();

/* Path of the module file of a mechanism, e.g. "/lib/kuipc/kuipc_procfs.ko". */
std::string module_path(const std::string &mech);

/* finit_module() the file with the given parameters; throws kuipc::Error. */
void load_module(const std::string &path, const std::string &params = "");

/*
 * delete_module() by name (e.g. "kuipc_procfs"). Retries for up to
 * retry_ms while the module is busy, because the last reference to a module
 * can be dropped asynchronously (deferred fput). Throws kuipc::Error.
 */
void unload_module(const std::string &name, int retry_ms = 2000);

/* True when /sys/module/<name> exists. */
bool module_loaded(const std::string &name);

} // namespace kuipc
