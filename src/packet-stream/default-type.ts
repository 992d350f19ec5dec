// The built-in packet type, protochan.v1.Packet, used when no packet type is
// given.
import { PacketView } from "../../generated/protochan/v1/packet_packet.js";

export type DefaultPacket = PacketView;

export function defaultPacketType(): typeof PacketView {
  return PacketView;
}
