// SPDX-License-Identifier: GPL-2.0
// Fuzzing the configfs pair: mkdir and rmdir of items with any name, and
// every attribute of the subsystem, its default group and its items.
#include "fuzz.hpp"

#include <kuipc/configfs.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace {

namespace fz = kuipc::fuzz;

/* A few names that exist now and then, and any other name. */
std::string item_name(fz::Ctx &c)
{
	if (c.rng.chance(80))
		return "fz" + std::to_string(c.rng.below(12));
	std::string name = c.rng.bytes(c.rng.length(300));
	for (auto &ch : name)
		if (ch == '/' || ch == '\0')
			ch = 'x';
	return name;
}

int dir_op(fz::Ctx &c)
{
	const std::string path = KUIPC_CONFIGFS_SUBSYS_PATH "/" + item_name(c);
	if (c.rng.chance(50))
		return ::mkdir(path.c_str(), 0755) == 0 ? 0 : fz::err();
	return ::rmdir(path.c_str()) == 0 ? 0 : fz::err();
}

int attr_op(fz::Ctx &c)
{
	switch (c.rng.below(4)) {
	case 0:
		return fz::file_op(c, KUIPC_CONFIGFS_SUMMARY_PATH);
	case 1:
		return fz::file_op(c, KUIPC_CONFIGFS_INITIAL_PATH);
	default:
		return fz::file_op(c, KUIPC_CONFIGFS_SUBSYS_PATH "/" + item_name(c) +
					      "/" KUIPC_CONFIGFS_VALUE);
	}
}

/* Items pin the module: remove every one the run left. */
void remove_items()
{
	std::error_code ec;
	for (const auto &ent : std::filesystem::directory_iterator(
		     KUIPC_CONFIGFS_SUBSYS_PATH, ec))
		if (ent.is_directory() &&
		    ent.path().filename() != KUIPC_CONFIGFS_SETTINGS)
			::rmdir(ent.path().c_str());
}

const fz::Register reg({"configfs",
			{{"mkdir/rmdir", dir_op}, {"attribute", attr_op}},
			remove_items});

} // namespace
