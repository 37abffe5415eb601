#!/usr/bin/env bash
# Runs the packed GPU check (see check.ts). WebGPU uses the machine's NVIDIA Vulkan driver when there is one,
# else the packed lavapipe (software); the packed Vulkan loader is used either way.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
icd=""
for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$f" ]; then icd="$f"; break; fi
done
if [ -n "$icd" ]; then
  driver="NVIDIA Vulkan driver ($icd)"
else
  icd="$here/vulkan/lvp_icd.json"
  printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$here/vulkan/libvulkan_lvp.so" >"$icd"
  driver="Mesa lavapipe (software Vulkan, packed)"
fi
export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd" RGE_VULKAN_DRIVER="$driver"
export LD_LIBRARY_PATH="$here/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$here/node" "$here/check.mjs" "$@"
