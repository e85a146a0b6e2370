// SPDX-License-Identifier: GPL-2.0
// kuipc-procfs: command line client of kuipc_procfs.ko.
#include "procfs.hpp"

#include "cli.hpp"
#include "demo.hpp"
#include "error.hpp"

#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace procfs = kuipc::procfs;

constexpr const char *prog = "kuipc-procfs";

/* Odd on purpose: records then straddle the read() buffers. */
constexpr std::size_t check_chunk = 61;

void usage(std::FILE *out)
{
	std::fprintf(out,
		     "usage: %s COMMAND\n"
		     "  records       print %s\n"
		     "  check         read the records through a %zu-byte "
		     "buffer and verify every byte\n"
		     "  write MSG...  append each MSG as one message\n"
		     "  read          print the stored messages, one per line\n"
		     "  clear         remove all stored messages\n"
		     "  demo          a narrated round trip, one line per "
		     "system call\n",
		     prog, procfs::records_path, check_chunk);
}

/* Compare what the kernel returned with what it should have. */
void verify(const std::string &what, const std::string &got,
	    const std::string &want)
{
	if (got == want)
		return;
	std::size_t i = 0;
	while (i < got.size() && i < want.size() && got[i] == want[i])
		i++;
	kuipc::throw_err(EBADMSG, what + ": " + std::to_string(got.size()) +
					  " bytes, first difference at offset " +
					  std::to_string(i));
}

int cmd_records(const procfs::Client &client)
{
	const std::string text = client.read_records();
	std::fwrite(text.data(), 1, text.size(), stdout);
	return 0;
}

int cmd_check(const procfs::Client &client)
{
	const std::string text = client.read_records(check_chunk);
	verify(procfs::records_path, text, procfs::expected_records());
	std::printf("%s: %zu records, %zu bytes, all as expected\n",
		    procfs::records_path, procfs::nr_records, text.size());
	return 0;
}

int cmd_write(const procfs::Client &client,
	      const std::vector<std::string_view> &msgs)
{
	for (const auto msg : msgs)
		client.write_message(msg);
	return 0;
}

int cmd_read(const procfs::Client &client)
{
	for (const auto &msg : client.messages())
		std::printf("%3zu \"%s\"\n", msg.size(),
			    procfs::escape(msg).c_str());
	return 0;
}

int cmd_demo()
{
	namespace demo = kuipc::demo;
	const procfs::Client client;
	const std::vector<std::string> msgs = {
		"hello from user space",
		std::string("binary \0\x01\xff\n", 11),
	};

	demo::begin();
	demo::note("1. empty the message store: open for writing with O_TRUNC");
	client.clear();

	demo::note("2. store two messages, one write() each");
	for (const auto &msg : msgs)
		client.write_message(msg);

	demo::note("3. a message above " + std::to_string(procfs::msg_max) +
		   " bytes is refused, the store is unchanged");
	demo::refused(EMSGSIZE, [&] {
		client.write_message(std::string(procfs::msg_max + 1, 'x'));
	});

	demo::note("4. read the messages back");
	const std::string raw = client.read_messages_raw();
	verify(procfs::messages_path, raw, procfs::encode_messages(msgs));
	demo::note(std::to_string(msgs.size()) +
		   " messages, identical to what was written");

	demo::note("5. read the records, several pages, one seq_file buffer "
		   "at a time");
	const std::string records = client.read_records();
	verify(procfs::records_path, records, procfs::expected_records());
	demo::note(std::to_string(procfs::nr_records) + " records, " +
		   std::to_string(records.size()) + " bytes, all as expected");
	demo::end();
	return 0;
}

int run(const std::vector<std::string> &args)
{
	if (args.empty())
		throw kuipc::cli::Usage("no command");
	const std::string &cmd = args[0];
	const std::vector<std::string_view> rest(args.begin() + 1, args.end());
	const procfs::Client client;

	if (cmd == "write" && !rest.empty())
		return cmd_write(client, rest);
	if (!rest.empty())
		throw kuipc::cli::Usage("too many arguments for " + cmd);
	if (cmd == "records")
		return cmd_records(client);
	if (cmd == "check")
		return cmd_check(client);
	if (cmd == "read")
		return cmd_read(client);
	if (cmd == "clear") {
		client.clear();
		return 0;
	}
	if (cmd == "demo")
		return cmd_demo();
	throw kuipc::cli::Usage("unknown command: " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
	return kuipc::cli::main(argc, argv, {prog, usage, run});
}
