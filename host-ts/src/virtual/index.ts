export {
  launchNative, launchQemuRv32, launchQemuLx106, launchVirtual, qemuArgs,
  VirtualBoardError, DEFAULT_IMAGES, FIRMWARE_BUILD,
  type VirtualBoard, type VirtualBoardInfo, type VirtualStream, type VirtualPort, type LaunchOptions,
} from "./launch.ts";
