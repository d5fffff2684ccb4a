# Install rules and the Debian package.
#
#   cmake --install build --prefix P   P/bin/{kt,kt-indexer,kt-delayer,kt-cascader,kt-capture}
#                                      and the example config with its mappings in P/share/kt/
#   scripts/package.sh                 build/kt_<version>_amd64.deb (CPack, DEB generator)
#
# The package adds what only makes sense at the root of a system, in the component `system`
# that a plain `cmake --install` leaves out: the example config as /etc/kt/kt.yaml (a conffile,
# with its mappings beside it, where the config finds them) and one systemd unit per worker.
include(GNUInstallDirs)

install(TARGETS kt kt-indexer kt-delayer kt-cascader kt-capture
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/config/kt.yaml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/kt COMPONENT runtime)
file(GLOB KT_MAPPING_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/config/mappings/*.json)
install(FILES ${KT_MAPPING_FILES}
  DESTINATION ${CMAKE_INSTALL_DATADIR}/kt/mappings COMPONENT runtime)

install(FILES ${PROJECT_SOURCE_DIR}/config/kt.yaml
  DESTINATION /etc/kt COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${KT_MAPPING_FILES}
  DESTINATION /etc/kt/mappings COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/systemd/kt-indexer.service
  ${CMAKE_CURRENT_LIST_DIR}/systemd/kt-delayer.service
  ${CMAKE_CURRENT_LIST_DIR}/systemd/kt-cascader.service
  ${CMAKE_CURRENT_LIST_DIR}/systemd/kt-capture.service
  DESTINATION /lib/systemd/system COMPONENT system EXCLUDE_FROM_ALL)

# Every file under /etc/kt is a conffile: an upgrade keeps what the administrator changed.
set(KT_CONFFILES "/etc/kt/kt.yaml\n")
foreach(mapping IN LISTS KT_MAPPING_FILES)
  get_filename_component(name ${mapping} NAME)
  string(APPEND KT_CONFFILES "/etc/kt/mappings/${name}\n")
endforeach()
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/packaging/conffiles CONTENT "${KT_CONFFILES}")

set(KT_PACKAGE_MAINTAINER "kt maintainers <kt@example.org>"
  CACHE STRING "Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kt)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "keeps Elasticsearch indexes in sync with PostgreSQL through Kafka")
set(CPACK_PACKAGE_DESCRIPTION "The workers kt-indexer, kt-delayer, kt-cascader and kt-capture, each\n\
a systemd unit, and the kt command line (reindex, verify, produce, status, check, capture). Configure them in\n\
/etc/kt/kt.yaml, or set KT_KAFKA_BROKERS, KT_POSTGRES_URL and KT_ELASTICSEARCH_URL in\n\
/etc/default/kt.")
set(CPACK_PACKAGE_CONTACT "${KT_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL runtime system)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_NAME kt)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Depends: the packages of the shared libraries the executables link, as dpkg-shlibdeps (from
# dpkg-dev) computes them; without it, Debian 12's packages of those libraries.
find_program(KT_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(KT_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libgcc-s1, libstdc++6, librdkafka1, libpqxx-6.4, \
libyaml-cpp0.7, libcurl4, libcpp-httplib0.11, libfmt9, libsimdjson14, zlib1g, \
libpg-query1504.0, libpq5")
endif()
include(CPack)
