"""The frame models' inputs: RGB uint8 frames sampled from a video file, and the two image
preprocessings the frame scorers need (a transformers model's own, nudenet's letterbox).

Sampling reads the media file with OpenCV, the one piece of I/O here. It lives beside the
preprocessing rather than in the service because it fixes what a frame is for every frame model
(how many, spread how, RGB not OpenCV's BGR, uint8) and uses the same optional OpenCV the nsfw
extra brings for nudenet; the service only hands it the path an item names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


class FramesUnavailable(RuntimeError):
    """A video's media could not give frames (no path, missing file, undecodable)."""


def sample_frames(path: str | Path, count: int) -> list[np.ndarray]:
    """Up to `count` RGB uint8 frames spread evenly over the video (OpenCV, shipped with the nsfw
    extra). Raises FramesUnavailable with the reason when none can be read."""
    try:
        import cv2
    except ImportError as exc:
        raise FramesUnavailable("opencv is not installed (pip install 'socialflow-pipelines[nsfw]')") from exc
    if not Path(path).is_file():
        raise FramesUnavailable(f"media file not found: {path}")
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise FramesUnavailable(f"media could not be decoded: {path}")
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        positions = np.linspace(0, max(total - 1, 0), num=min(count, max(total, 1))).round().astype(int)
        frames = []
        for position in sorted(set(positions.tolist())):
            capture.set(cv2.CAP_PROP_POS_FRAMES, position)
            ok, frame = capture.read()
            if ok and frame is not None and frame.ndim == 3:
                frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    if not frames:
        raise FramesUnavailable(f"no frame could be decoded from {path}")
    return frames


def rgb_frame(frame: np.ndarray) -> np.ndarray:
    """The frame's RGB channels; anything but an RGB(A) uint8 array is refused."""
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] not in (3, 4) or frame.dtype != np.uint8:
        raise ValueError(
            f"a frame must be an RGB(A) uint8 array (H, W, 3|4), got {frame.dtype} {frame.shape}"
        )
    return frame[:, :, :3]


def letterboxed(cv2: Any, frame: np.ndarray, size: int) -> np.ndarray:
    """nudenet's input: the frame padded to a square at its top left, resized to `size`, as a
    (3, size, size) float32 array in [0, 1]."""
    frame = rgb_frame(frame)
    height, width = frame.shape[:2]
    side = max(height, width)
    square = np.zeros((side, side, 3), dtype=np.uint8)
    square[:height, :width] = frame
    resized = cv2.resize(square, (size, size), interpolation=cv2.INTER_LINEAR)
    return (resized.astype(np.float32) / 255.0).transpose(2, 0, 1)


@dataclass(frozen=True)
class ImagePreprocessing:
    """A transformers image model's preprocessing from its `preprocessor_config.json` (resize or
    shortest-edge resize plus center crop, rescale, normalise), done in torch because
    transformers' own image processors need Pillow and torchvision, which this platform does not
    install."""

    resize_to: tuple[int, int] | None  # (height, width)
    shortest_edge: int | None
    crop_to: tuple[int, int] | None
    rescale_factor: float | None
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None

    @classmethod
    def from_directory(cls, path: Path, model_config: Any) -> ImagePreprocessing:
        config_file = path / "preprocessor_config.json"
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
        size = config.get("size")
        if isinstance(size, int):
            size = {"height": size, "width": size}
        if size is None:
            side = int(getattr(model_config, "image_size", 224))
            size = {"height": side, "width": side}
        resize_to = shortest = crop = None
        if config.get("do_resize", True):
            if "height" in size:
                resize_to = (int(size["height"]), int(size["width"]))
            else:
                shortest = int(size["shortest_edge"])
        if config.get("do_center_crop") and config.get("crop_size"):
            crop_size = config["crop_size"]
            crop = (int(crop_size["height"]), int(crop_size["width"]))
        normalise = config.get("do_normalize", True)
        return cls(
            resize_to=resize_to,
            shortest_edge=shortest,
            crop_to=crop,
            rescale_factor=float(config.get("rescale_factor", 1 / 255))
            if config.get("do_rescale", True)
            else None,
            mean=tuple(config.get("image_mean", (0.5, 0.5, 0.5))) if normalise else None,
            std=tuple(config.get("image_std", (0.5, 0.5, 0.5))) if normalise else None,
        )

    def __call__(self, torch: Any, frame: np.ndarray) -> Any:
        """One frame as a (1, 3, H, W) float tensor ready for the model."""
        pixels = torch.from_numpy(np.ascontiguousarray(rgb_frame(frame))).permute(2, 0, 1)[None].float()
        if self.resize_to is not None:
            pixels = _resize(torch, pixels, self.resize_to)
        elif self.shortest_edge is not None:
            height, width = pixels.shape[-2:]
            scale = self.shortest_edge / min(height, width)
            pixels = _resize(torch, pixels, (round(height * scale), round(width * scale)))
        if self.crop_to is not None:
            height, width = pixels.shape[-2:]
            top, left = max(0, (height - self.crop_to[0]) // 2), max(0, (width - self.crop_to[1]) // 2)
            pixels = pixels[..., top : top + self.crop_to[0], left : left + self.crop_to[1]]
        if self.rescale_factor is not None:
            pixels = pixels * self.rescale_factor
        if self.mean is not None and self.std is not None:
            mean = torch.tensor(self.mean).view(1, 3, 1, 1)
            std = torch.tensor(self.std).view(1, 3, 1, 1)
            pixels = (pixels - mean) / std
        return pixels


def _resize(torch: Any, pixels: Any, size: tuple[int, int]) -> Any:
    return torch.nn.functional.interpolate(
        pixels, size=size, mode="bilinear", antialias=True, align_corners=False
    )
