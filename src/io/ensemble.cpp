#include "io/ensemble.hpp"

#include <fmt/format.h>
#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>

#include "core/error.hpp"
#include "io/detail/hdf5.hpp"
#include "io/config.hpp"
#include "io/files.hpp"

namespace popsim::io {
namespace {

using detail::Handle;

struct Replicate {
  std::string path;
  std::uint64_t seed = 0;
  double scale = 1.0;
  std::string config;
  std::string inputs;  // fingerprints of the input tables (empty in files of an older popsim)
  std::vector<std::int32_t> years;
  std::vector<std::int64_t> codes;
  std::size_t Y = 0, R = 0, done = 0;  // time points, regions, time points simulated
  // per indicator: [Y * R] values (NaN where not simulated); national [Y]
  std::vector<std::vector<double>> regional, national;
};

Replicate read(const std::string& path) {
  Replicate r;
  r.path = path;
  requireRegularFile(path, "a popsim results file (HDF5)");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw core::InputError(fmt::format("{}: not an HDF5 results file", path));
  Handle f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
  if (!detail::linkExists(f, "meta") || !detail::linkExists(f, "extinction"))
    throw core::InputError(fmt::format("{}: not a finished popsim results file (no /extinction)", path));
  {
    Handle m(H5Gopen2(f, "meta", H5P_DEFAULT), H5Gclose, "opening /meta");
    r.seed = detail::readUintAttribute(m, "seed");
    r.scale = detail::readDoubleAttribute(m, "scale");
    if (!(r.scale > 0.0 && r.scale <= 1.0))
      throw core::InputError(fmt::format("{}: /meta scale {} is not in (0, 1]", path, r.scale));
    r.config = detail::readStringAttribute(m, "config") + detail::readStringAttribute(m, "scenario");
    if (detail::hasAttribute(m, "inputs")) r.inputs = detail::readStringAttribute(m, "inputs");
    if (!detail::hasAttribute(m, "complete") || detail::readIntAttribute(m, "complete") != 1)
      throw core::InputError(fmt::format("{}: the run did not reach its last year (stopped or still running); "
                                         "finish it with --restart before merging", path));
  }
  std::vector<hsize_t> dims;
  const auto any = detail::kAnyExtent;
  const auto years = detail::readWhole<double>(f, "years", dims, {any});
  r.Y = dims[0];
  if (r.Y == 0) throw core::InputError(fmt::format("{}: /years is empty", path));
  for (const auto y : years) {
    if (!(y >= 1000 && y <= 10000)) throw core::InputError(fmt::format("{}: /years holds {}, not a calendar year", path, y));
    r.years.push_back(static_cast<std::int32_t>(y));
  }
  Handle g(H5Gopen2(f, "regions", H5P_DEFAULT), H5Gclose, "opening /regions");
  r.codes = detail::readAll<std::int64_t>(g, "code");
  r.R = r.codes.size();
  if (r.R == 0) throw core::InputError(fmt::format("{}: /regions/code is empty", path));
  // Every dataset must have the shape of /years x /regions: a file whose parts disagree is refused.
  const auto pop = detail::readWhole<double>(f, "population", dims, {r.Y, r.R, 2, 101});
  if (!detail::linkExists(f, "nationals/population"))
    throw core::InputError(fmt::format("{}: no /nationals/population (written by an older popsim): rerun it", path));
  const auto nationals = detail::readWhole<double>(f, "nationals/population", dims, {r.Y, r.R, 2, 101});
  const auto cls = detail::readWhole<double>(f, "extinction/class", dims, {r.Y, r.R});
  while (r.done < r.Y && cls[r.done * r.R] >= 0) ++r.done;
  const auto births = detail::readWhole<double>(f, "births", dims, {r.Y, r.R, 35});
  const auto deaths = detail::readWhole<double>(f, "deaths", dims, {r.Y, r.R, 2, 101});
  const auto in = detail::readWhole<double>(f, "migration/in", dims, {r.Y, r.R});
  const auto out = detail::readWhole<double>(f, "migration/out", dims, {r.Y, r.R});
  const std::size_t K = std::size(kEnsembleIndicators);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.regional.assign(K, std::vector<double>(r.Y * r.R, nan));
  r.national.assign(K, std::vector<double>(r.Y, nan));
  for (std::size_t t = 0; t < r.done; ++t) {
    double women_all = 0.0, old_all = 0.0;
    std::vector<double> nat(K, 0.0);
    for (std::size_t i = 0; i < r.R; ++i) {
      const std::size_t tr = t * r.R + i;
      // The extinction index (KEIS) is of the registered population: nationals.
      double persons = 0.0, registered = 0.0, old = 0.0, registered_old = 0.0, women = 0.0, b = 0.0, d = 0.0;
      for (std::size_t s = 0; s < 2; ++s)
        for (std::size_t a = 0; a <= 100; ++a) {
          const double x = pop[(tr * 2 + s) * 101 + a];
          const double n = nationals[(tr * 2 + s) * 101 + a];
          persons += x;
          registered += n;
          if (a >= 65) old += x;
          if (a >= 65) registered_old += n;
          if (s == 1 && a >= 20 && a <= 39) women += n;
          d += deaths[(tr * 2 + s) * 101 + a];
        }
      for (std::size_t a = 0; a < 35; ++a) b += births[tr * 35 + a];
      const double values[] = {persons / r.scale, registered / r.scale, b / r.scale, d / r.scale,
                               (in[tr] - out[tr]) / r.scale, old / r.scale,
                               registered_old > 0.0 ? women / registered_old : nan};
      static_assert(sizeof(values) / sizeof(values[0]) == std::size(kEnsembleIndicators));
      for (std::size_t k = 0; k < K; ++k) {
        r.regional[k][tr] = values[k];
        if (k + 1 < K) nat[k] += values[k];
      }
      women_all += women;
      old_all += registered_old;
    }
    nat[K - 1] = old_all > 0.0 ? women_all / old_all : nan;
    for (std::size_t k = 0; k < K; ++k) r.national[k][t] = nat[k];
  }
  return r;
}

// Type-7 quantile of sorted finite values (NaN if none).
double quantile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double h = (static_cast<double>(sorted.size()) - 1.0) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

void writeDoubles(hid_t parent, const std::string& name, const std::vector<hsize_t>& dims, const std::vector<double>& v,
                  const std::string& description) {
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, "creating a dataspace");
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "creating a link property list");
  detail::check(H5Pset_create_intermediate_group(lcpl, 1), "intermediate groups");
  Handle d(H5Dcreate2(parent, name.c_str(), H5T_NATIVE_DOUBLE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
           "creating " + name);
  detail::check(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "writing " + name);
  detail::writeAttribute(d, "description", description);
}

}  // namespace

void summariseReplicates(const std::vector<std::string>& paths, const std::string& out, bool overwrite) {
  if (paths.size() < 2) throw core::InputError("an ensemble summary needs at least 2 replicate results files");
  requireOutputFile(out, "--out", overwrite, paths);
  std::vector<Replicate> reps;
  for (const auto& p : paths) {
    try {
      reps.push_back(read(p));
    } catch (const std::runtime_error& e) {
      if (dynamic_cast<const core::InputError*>(&e)) throw;
      throw core::InputError(fmt::format("{}: {}", p, e.what()));
    }
    const auto& a = reps.front();
    const auto& b = reps.back();
    if (b.years != a.years || b.codes != a.codes || b.scale != a.scale)
      throw core::InputError(fmt::format("{} and {}: different years, regions or scale; replicates must come from one "
                                         "configuration and --years", a.path, b.path));
    if (b.config != a.config)
      throw core::InputError(fmt::format("{} and {}: written with different configurations or scenarios", a.path, b.path));
    if (a.inputs.empty() != b.inputs.empty())
      throw core::InputError(fmt::format("{} and {}: one records the fingerprints of its input tables and the other "
                                         "does not (written by different versions of popsim)", a.path, b.path));
    if (const auto change = describeInputChange(a.inputs, b.inputs); !change.empty())
      throw core::InputError(fmt::format("{} and {}: replicates of different inputs: {}", a.path, b.path, change));
    for (std::size_t k = 0; k + 1 < reps.size(); ++k)
      if (reps[k].seed == b.seed)
        throw core::InputError(fmt::format("{} and {}: the same seed {}; replicates need different seeds", reps[k].path,
                                           b.path, b.seed));
  }
  const std::size_t K = std::size(kEnsembleIndicators);
  const std::size_t Y = reps.front().Y, R = reps.front().R, N = reps.size();
  const std::size_t done = std::min_element(reps.begin(), reps.end(), [](const auto& a, const auto& b) {
                             return a.done < b.done;
                           })->done;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::string partial = out + ".partial";
  try {
    Handle f(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "creating " + partial);
    {
      auto m = detail::createGroup(f, "meta");
      std::string files, seeds;
      for (const auto& r : reps) {
        files += (files.empty() ? "" : "\n") + r.path;
        seeds += fmt::format("{}{}", seeds.empty() ? "" : ",", r.seed);
      }
      detail::writeAttribute(m, "format", std::string("popsim-ensemble"));
      detail::writeAttribute(m, "replicate_files", files);
      detail::writeAttribute(m, "seeds", seeds);
      detail::writeAttribute(m, "replicates", static_cast<std::int64_t>(N));
      detail::writeAttribute(m, "scale", reps.front().scale);
      detail::writeAttribute(m, "config_and_scenario", reps.front().config);
      detail::writeAttribute(m, "quantiles", std::string("type-7 (linear) quantiles across replicates: median 0.5, "
                                                         "80% interval 0.1-0.9, 95% interval 0.025-0.975"));
    }
    std::vector<double> years(reps.front().years.begin(), reps.front().years.end());
    writeDoubles(f, "years", {Y}, years, "calendar year (entry 0: the start state)");
    {
      std::vector<double> codes(reps.front().codes.begin(), reps.front().codes.end());
      writeDoubles(f, "regions/code", {R}, codes, "region codes (as in the replicates' /regions)");
    }
    const std::array<std::pair<const char*, double>, 5> q = {{{"median", 0.5}, {"lo80", 0.1}, {"hi80", 0.9}, {"lo95", 0.025}, {"hi95", 0.975}}};
    std::vector<double> values(N);
    for (std::size_t k = 0; k < K; ++k) {
      const std::string ind = kEnsembleIndicators[k];
      std::array<std::vector<double>, 5> regional, national;
      for (auto& v : regional) v.assign(Y * R, nan);
      for (auto& v : national) v.assign(Y, nan);
      auto summarise = [&](auto get, std::array<std::vector<double>, 5>& dst, std::size_t at) {
        values.clear();
        for (const auto& r : reps) {
          const double x = get(r);
          if (std::isfinite(x)) values.push_back(x);
        }
        std::sort(values.begin(), values.end());
        for (std::size_t j = 0; j < q.size(); ++j) dst[j][at] = quantile(values, q[j].second);
      };
      for (std::size_t t = 0; t < done; ++t) {
        for (std::size_t i = 0; i < R; ++i)
          summarise([&](const Replicate& r) { return r.regional[k][t * R + i]; }, regional, t * R + i);
        summarise([&](const Replicate& r) { return r.national[k][t]; }, national, t);
      }
      for (std::size_t j = 0; j < q.size(); ++j) {
        writeDoubles(f, fmt::format("summary/{}/{}", ind, q[j].first), {Y, R}, regional[j],
                     fmt::format("{} of {} across replicates, per year and region (national scale)", q[j].first, ind));
        writeDoubles(f, fmt::format("summary/national/{}/{}", ind, q[j].first), {Y}, national[j],
                     fmt::format("{} of national {} across replicates, per year", q[j].first, ind));
      }
      std::vector<double> rows(N * Y, nan);
      for (std::size_t n = 0; n < N; ++n)
        for (std::size_t t = 0; t < done; ++t) rows[n * Y + t] = reps[n].national[k][t];
      writeDoubles(f, fmt::format("replicates/{}", ind), {N, Y}, rows,
                   fmt::format("national {} of each replicate (rows in /meta replicate_files order)", ind));
    }
    f.close("closing " + partial);
    std::filesystem::rename(partial, out);
  } catch (const std::exception& e) {
    // A failure to write (a full disk, a quota): no partial file stays, the caller reports it.
    std::error_code ec;
    std::filesystem::remove(partial, ec);
    throw std::runtime_error(e.what());
  }
}

}  // namespace popsim::io
