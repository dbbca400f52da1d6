"""Camera capture through QtMultimedia, where a camera exists.

QtMultimedia is imported only when the user asks for the camera: it loads audio and video
back ends that are slow to start and that most sessions never need.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QVBoxLayout, QWidget

from inspector.i18n import Translator


def capture_photo(tr: Translator, parent: QWidget | None) -> bytes | None:
    """Open the camera dialog; JPEG bytes of the captured frame, or None (no camera / cancelled)."""
    from PySide6.QtMultimedia import QMediaDevices

    if not QMediaDevices.videoInputs():
        QMessageBox.information(parent, tr("Chụp ảnh"),
                                tr("Không tìm thấy camera trên máy này. Hãy chụp bằng điện thoại rồi đính"
                                   " kèm tệp ảnh, hoặc kéo thả ảnh vào ô minh chứng."))
        return None
    dialog = CameraDialog(tr, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.image is None:
        return None
    buffer = QBuffer()
    data = QByteArray()
    buffer.setBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    dialog.image.save(buffer, "JPEG", 88)  # type: ignore[call-overload]  # the stubs say bytes; it wants str
    return bytes(data.data())


class CameraDialog(QDialog):
    def __init__(self, tr: Translator, parent: QWidget | None = None) -> None:
        from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession
        from PySide6.QtMultimediaWidgets import QVideoWidget

        super().__init__(parent)
        self.setWindowTitle(tr("Chụp ảnh minh chứng"))
        self.image: QImage | None = None
        layout = QVBoxLayout(self)
        self.preview = QVideoWidget()
        self.preview.setMinimumSize(640, 480)
        layout.addWidget(self.preview)
        self.status = QLabel(tr("Hướng camera vào đối tượng rồi bấm “Chụp”."))
        layout.addWidget(self.status)
        self.camera = QCamera()
        self.capture = QImageCapture()
        self.capture_session = QMediaCaptureSession()
        self.capture_session.setCamera(self.camera)
        self.capture_session.setImageCapture(self.capture)
        self.capture_session.setVideoOutput(self.preview)
        self.capture.imageCaptured.connect(self._on_captured)
        self.capture.errorOccurred.connect(lambda _id, _err, text: self.status.setText(text))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        shoot = buttons.addButton(tr("Chụp"), QDialogButtonBox.ButtonRole.ActionRole)
        shoot.clicked.connect(self.capture.capture)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.camera.start()

    def _on_captured(self, _id: int, image: QImage) -> None:
        self.image = image
        self.camera.stop()
        self.accept()
