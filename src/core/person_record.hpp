// One person as a value (core::PersonRecord, generated from the attribute list in
// core/population.hpp): kept as its own header for the modules that exchange persons.
#pragma once

#include "core/population.hpp"
