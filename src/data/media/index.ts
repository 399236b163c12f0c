/** Media decoding: images (sharp), audio (WAV in process, the rest via ffmpeg), video (Y4M in process, the rest via ffmpeg). */
export { loadImage, decodeImageBytes, resizeRgb, rgbToChw, type ImageFit, type ImageOptions } from './image.js';
export { loadAudio, decodeAudioBytes, decodeWav, prepareAudio, toMono, fitLength, UnsupportedWavError, type AudioOptions, type DecodedAudio } from './audio.js';
export { loadVideo, decodeVideoBytes, evenFrameIndices, type VideoOptions } from './video.js';
export { resample, type ResampleOptions } from './resample.js';
export { Y4mReader, parseY4mHeader, y4mFrameToRgb, writeY4m, encodeY4m444, type Y4mHeader, type Y4mVideo } from './y4m.js';
export { ffmpegAvailable, ffmpegPath, ffprobePath, setFfmpegPath, FfmpegMissingError, requireFfmpeg, runFfmpeg, probeStream, type StreamInfo } from './ffmpeg.js';
