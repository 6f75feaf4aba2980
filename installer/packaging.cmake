# Install rules and CPack: `make package` builds a .deb and a .tar.gz (Linux). The NSIS (Windows) and
# DragNDrop (macOS) generators are configured below but cannot be built or tested on this Debian machine;
# see the README's Install section for their deployment steps (windeployqt / macdeployqt).
include(GNUInstallDirs)

set(THREADLAB_APP_ID org.threadlab.ThreadLab)
set(linux ${CMAKE_CURRENT_LIST_DIR}/linux)
set(generated ${CMAKE_BINARY_DIR}/installer)

install(TARGETS threadlab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS threadlab_app LIBRARY DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/threadlab)

if(UNIX AND NOT APPLE)
    install(FILES ${linux}/${THREADLAB_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
    install(FILES ${linux}/${THREADLAB_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
    install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/threadlab.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps RENAME ${THREADLAB_APP_ID}.svg)
    install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/threadlab-256.png
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/256x256/apps RENAME ${THREADLAB_APP_ID}.png)

    # Debian wants man pages and changelogs compressed with gzip -9n (no timestamp, reproducible).
    file(MAKE_DIRECTORY ${generated})
    foreach(pair "threadlab.1;threadlab.1.gz" "changelog;changelog.gz")
        list(GET pair 0 source)
        list(GET pair 1 target)
        add_custom_command(OUTPUT ${generated}/${target}
            COMMAND gzip -9nc ${linux}/${source} > ${generated}/${target}
            DEPENDS ${linux}/${source} VERBATIM)
        list(APPEND compressed ${generated}/${target})
    endforeach()
    add_custom_target(threadlab_docs ALL DEPENDS ${compressed})
    install(FILES ${generated}/threadlab.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
    install(FILES ${generated}/changelog.gz ${linux}/copyright DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/threadlab)
endif()

set(CPACK_PACKAGE_NAME threadlab)
set(CPACK_PACKAGE_VENDOR "The ThreadLab developers")
set(CPACK_PACKAGE_CONTACT "ThreadLab developers <dev@threadlab.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "see threads, locks and lost updates at work")
# Lines under 80 columns: Debian shows the extended description as it is written.
set(CPACK_PACKAGE_DESCRIPTION "ThreadLab runs real concurrent workloads and draws, live, what every worker
did: who ran, who waited for which lock, who held it while others waited,
and which updates got lost. Timelines export as PNG, SVG or PDF, traces as
Chrome Trace JSON or CSV, and every scenario also runs from the command line.")
set(CPACK_PACKAGE_HOMEPAGE_URL "https://threadlab.org/")
set(CPACK_PACKAGE_INSTALL_DIRECTORY ThreadLab)
set(CPACK_RESOURCE_FILE_LICENSE ${linux}/copyright)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build.*/;/\\\\.git/")

if(WIN32)
    set(CPACK_GENERATOR NSIS ZIP)
    set(CPACK_NSIS_DISPLAY_NAME ThreadLab)
    set(CPACK_NSIS_MUI_ICON ${PROJECT_SOURCE_DIR}/resources/icons/threadlab.ico)
    set(CPACK_NSIS_CREATE_ICONS_EXTRA "CreateShortCut '$SMPROGRAMS\\\\$STARTMENU_FOLDER\\\\ThreadLab.lnk' '$INSTDIR\\\\bin\\\\threadlab.exe'")
elseif(APPLE)
    set(CPACK_GENERATOR DragNDrop)
    set(CPACK_DMG_VOLUME_NAME ThreadLab)
else()
    set(CPACK_GENERATOR DEB TGZ)
    set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
    set(CPACK_DEBIAN_PACKAGE_SECTION science)
    set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # dependencies computed by dpkg-shlibdeps, not written by hand
    set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
    # Qt needs a font to draw text and no library links one, so dpkg-shlibdeps cannot see it. (The xcb and
    # offscreen platform plugins ship in libqt6gui6, which it does see.)
    set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-dejavu-core")
endif()

include(CPack)
