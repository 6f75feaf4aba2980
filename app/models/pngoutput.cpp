#include "pngoutput.h"

#include <QBuffer>
#include <QByteArray>
#include <QImage>

namespace tl::ui {

bool writePng(const QImage& image, QIODevice& out)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    if (!buffer.open(QIODevice::WriteOnly) || !image.save(&buffer, "PNG"))
        return false;
    return out.write(bytes) == bytes.size();
}

} // namespace tl::ui
