// Creates a live server's test fixtures once per test-server data directory, however many
// test processes ctest runs in parallel.
//
// ctest starts one process per test, so a SetUpTestSuite that dropped and re-created tables
// would race with (and break) tests already running in another process. The first process to
// take the lock runs the setup and leaves a stamp holding the fixture's version; later ones
// find the stamp and return at once. A changed version string re-runs the setup.
// Thread-safety: for SetUpTestSuite; serialised across processes by flock.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

namespace tributary::test_support {

//! Runs `setup` unless the stamp `<TRIB_TEST_SERVERS_DIR>/fixtures/<name>` already holds
//! `version`. The stamp is written only when `setup` raised no test failure.
inline void RunFixtureSetupOnce(const std::string& name, const std::string& version,
                                const std::function<void()>& setup) {
  const char* dir_env = std::getenv("TRIB_TEST_SERVERS_DIR");
  if (dir_env == nullptr || *dir_env == '\0') {
    setup();  // no shared server directory: nothing to coordinate with
    return;
  }
  const std::string dir = std::string(dir_env) + "/fixtures";
  std::string mkdir = "mkdir -p '" + dir + "'";
  ASSERT_EQ(std::system(mkdir.c_str()), 0) << mkdir;
  const std::string stamp = dir + "/" + name;
  int lock_fd = ::open((stamp + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(lock_fd, 0) << "cannot open " << stamp << ".lock";
  ASSERT_EQ(::flock(lock_fd, LOCK_EX), 0);
  std::ifstream in(stamp);
  std::string existing((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (existing != version) {
    setup();
    if (!::testing::Test::HasFailure()) std::ofstream(stamp, std::ios::trunc) << version;
  }
  ::flock(lock_fd, LOCK_UN);
  ::close(lock_fd);
}

}  // namespace tributary::test_support
