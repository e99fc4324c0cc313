export {
  launchNative, launchQemuRv32, launchQemuLx106, launchEspQemu, launchVirtual, qemuArgs,
  espQemuArgs, espQemuStatus, espFlashFile, ESP_QEMU, ESP_QEMU_FLASH_BYTES,
  VirtualBoardError, DEFAULT_IMAGES, FIRMWARE_BUILD,
  type VirtualBoard, type VirtualBoardInfo, type VirtualStream, type VirtualPort, type LaunchOptions,
} from "./launch.ts";
