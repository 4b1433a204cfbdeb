// The timing harness the kernel benchmarks share (bench/kernels/run.sh):
// interleaved rounds of each candidate, the fastest batch per round, medians
// of speeds and of round-by-round ratios to the first candidate.
#ifndef ENVEIL_BENCH_KERNELS_BENCH_COMMON_H_
#define ENVEIL_BENCH_KERNELS_BENCH_COMMON_H_

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace bench {

// The fastest of many short batches within `budget` seconds: other
// processes on the machine only ever make a batch slower.
inline double seconds_per_op(const std::function<void()>& op, double budget) {
  using Clock = std::chrono::steady_clock;
  op();
  const auto c0 = Clock::now();
  op();
  const double one = std::chrono::duration<double>(Clock::now() - c0).count();
  const long batch = one > 2e-4 ? 1 : static_cast<long>(2e-4 / (one + 1e-9)) + 1;
  double best = 1e30;
  const auto t0 = Clock::now();
  do {
    const auto b0 = Clock::now();
    for (long i = 0; i < batch; ++i) op();
    const double t = std::chrono::duration<double>(Clock::now() - b0).count() / batch;
    if (t < best) best = t;
  } while (std::chrono::duration<double>(Clock::now() - t0).count() < budget);
  return best;
}

struct Candidate {
  std::string name;
  std::function<void()> op;
};

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Runs the candidates interleaved for `rounds` rounds; prints each one's
// median speed and its median speed ratio (with range) to the first, or with
// `as_share` its time as a share of the first's.
inline void compare(const char* title, size_t bytes, const std::vector<Candidate>& cs,
             int rounds, double budget, bool as_share = false) {
  std::vector<std::vector<double>> t(cs.size());
  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < cs.size(); ++i) t[i].push_back(seconds_per_op(cs[i].op, budget));
  }
  std::printf("\n%s\n", title);
  for (size_t i = 0; i < cs.size(); ++i) {
    std::vector<double> ratio;
    for (int r = 0; r < rounds; ++r) {
      ratio.push_back(as_share ? t[i][r] / t[0][r] : t[0][r] / t[i][r]);
    }
    const double s = median(t[i]);
    std::sort(ratio.begin(), ratio.end());
    std::printf("  %-34s %9.2f us/op %8.1f MB/s  %5.2f%s (%.2f..%.2f)\n", cs[i].name.c_str(),
                s * 1e6, bytes / s / 1e6, median(ratio), as_share ? " of GCM" : "x",
                ratio.front(), ratio.back());
  }
}

}  // namespace bench

#endif  // ENVEIL_BENCH_KERNELS_BENCH_COMMON_H_
