#pragma once

class QImage;
class QIODevice;

namespace tl::ui {

// Encodes `image` as PNG in memory, then writes it to `out` in one piece. Encoding straight into a file
// that fills up (a full disk, a file-size limit) makes libpng abort mid-image, and Qt 6.4 leaks the row
// buffer it had allocated; in memory the encoder cannot fail that way, and the write is checked whole.
bool writePng(const QImage& image, QIODevice& out);

} // namespace tl::ui
