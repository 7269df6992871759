// Failing together: a rank-local step (reading inputs, checking options) that fails on some
// ranks only must not leave the others waiting in the next collective.
#pragma once

#include <mpi.h>

#include <optional>
#include <string>

#include "core/error.hpp"

namespace popsim::parallel {

namespace detail {
// Returns the message of the lowest rank that failed (empty `failure` = success), or nothing.
std::optional<std::string> lowestFailure(MPI_Comm comm, const std::optional<std::string>& failure);
}  // namespace detail

// Runs `step`, which must not call MPI, on every rank of `comm`. If it throws core::InputError
// on any rank, every rank throws the error of the lowest failing rank (as core::CollectiveInputError).
template <typename Step>
auto agreeing(MPI_Comm comm, Step&& step) -> decltype(step()) {
  std::optional<std::string> failure;
  std::optional<decltype(step())> result;
  try {
    result.emplace(step());
  } catch (const core::InputError& e) {
    failure = e.what();
  }
  if (auto message = detail::lowestFailure(comm, failure)) throw core::CollectiveInputError(*message);
  return std::move(*result);
}

}  // namespace popsim::parallel
