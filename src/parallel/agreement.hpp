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
// on any rank, every rank throws the error of the lowest failing rank (as
// core::CollectiveInputError; a core::OutputError as core::CollectiveOutputError).
template <typename Step>
auto agreeing(MPI_Comm comm, Step&& step) -> decltype(step()) {
  std::optional<std::string> failure;  // the kind ('I' input, 'O' output) and the message
  std::optional<decltype(step())> result;
  try {
    result.emplace(step());
  } catch (const core::InputError& e) {
    failure = std::string("I") + e.what();
  } catch (const core::OutputError& e) {
    failure = std::string("O") + e.what();
  }
  if (auto message = detail::lowestFailure(comm, failure)) {
    // lowestFailure may prefix "(rank N) ": the kind is the character after it.
    const auto at = message->starts_with("(rank ") ? message->find(") ") + 2 : 0;
    const char kind = (*message)[at];
    message->erase(at, 1);
    if (kind == 'O') throw core::CollectiveOutputError(*message);
    throw core::CollectiveInputError(*message);
  }
  return std::move(*result);
}

}  // namespace popsim::parallel
