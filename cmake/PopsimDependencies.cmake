# Finds every dependency popsim needs; all come from the distribution's packages.
# Stops with a message naming the package to install when something is missing or wrong.

find_package(MPI REQUIRED COMPONENTS C CXX)
find_package(OpenMP REQUIRED COMPONENTS CXX)

set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR
    "popsim needs a parallel (MPI-IO) HDF5 but found a serial one at ${HDF5_INCLUDE_DIRS}.\n"
    "On Debian/Ubuntu: apt-get install libhdf5-openmpi-dev (and remove libhdf5-dev from the search "
    "path or pass -DHDF5_C_COMPILER_EXECUTABLE=/usr/bin/h5pcc).\n"
    "On a cluster: module load a parallel hdf5 built against the same MPI (e.g. hdf5/1.x-openmpi).")
endif()
add_library(popsim_hdf5 INTERFACE)
target_include_directories(popsim_hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
target_link_libraries(popsim_hdf5 INTERFACE ${HDF5_C_LIBRARIES})
target_compile_definitions(popsim_hdf5 INTERFACE ${HDF5_DEFINITIONS} H5_USE_110_API)

find_package(Boost 1.71 REQUIRED COMPONENTS serialization)
find_package(CLI11 REQUIRED CONFIG)
find_package(tomlplusplus REQUIRED CONFIG)
find_package(fmt REQUIRED CONFIG)
find_package(spdlog REQUIRED CONFIG)

find_path(RANDOM123_INCLUDE_DIR Random123/philox.h)
if(NOT RANDOM123_INCLUDE_DIR)
  message(FATAL_ERROR "Random123 headers not found. On Debian/Ubuntu: apt-get install librandom123-dev; "
                      "elsewhere pass -DRANDOM123_INCLUDE_DIR=/path/to/include")
endif()
add_library(popsim_random123 INTERFACE)
target_include_directories(popsim_random123 SYSTEM INTERFACE ${RANDOM123_INCLUDE_DIR})

find_program(POPSIM_MPIEXEC NAMES mpiexec mpirun HINTS ${MPI_HOME} PATHS /usr/bin REQUIRED)
