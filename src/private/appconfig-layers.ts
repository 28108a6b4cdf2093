/**
 * The AWS AppConfig Agent Lambda extension layers, version 2.0.17054.0
 * (released 2026-05-14), per commercial region: the AWS account that
 * publishes them, and the layer versions for x86_64 and arm64.
 *
 * @see https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-integration-lambda-extensions-versions.html
 */
export const APPCONFIG_EXTENSION_VERSION = '2.0.17054.0';

const LAYERS: Record<string, [account: string, x86: number, arm64: number]> = {
  'us-east-1': ['027255383542', 321, 254],
  'us-east-2': ['728743619870', 277, 229],
  'us-west-1': ['958113053741', 395, 272],
  'us-west-2': ['359756378197', 373, 275],
  'ca-central-1': ['039592058896', 262, 182],
  'ca-west-1': ['436199621743', 172, 162],
  'eu-central-1': ['066940009817', 295, 238],
  'eu-central-2': ['758369105281', 220, 178],
  'eu-west-1': ['434848589818', 303, 241],
  'eu-west-2': ['282860088358', 242, 194],
  'eu-west-3': ['493207061005', 273, 192],
  'eu-north-1': ['646970417810', 367, 226],
  'eu-south-1': ['203683718741', 249, 177],
  'eu-south-2': ['586093569114', 214, 175],
  'ap-east-1': ['630222743974', 254, 182],
  'ap-east-2': ['730335625313', 147, 121],
  'ap-northeast-1': ['980059726660', 272, 225],
  'ap-northeast-2': ['826293736237', 273, 181],
  'ap-northeast-3': ['706869817123', 272, 187],
  'ap-southeast-1': ['421114256042', 258, 210],
  'ap-southeast-2': ['080788657173', 313, 256],
  'ap-southeast-3': ['418787028745', 256, 193],
  'ap-southeast-4': ['307021474294', 188, 173],
  'ap-southeast-5': ['631746059939', 161, 136],
  'ap-southeast-6': ['381491832265', 97, 87],
  'ap-southeast-7': ['851725616657', 134, 133],
  'ap-south-1': ['554480029851', 290, 232],
  'ap-south-2': ['489524808438', 217, 175],
  'sa-east-1': ['000010852771', 327, 215],
  'mx-central-1': ['891376990304', 142, 141],
  'af-south-1': ['574348263942', 260, 188],
  'il-central-1': ['895787185223', 188, 171],
  'me-central-1': ['662846165436', 212, 168],
  'me-south-1': ['559955524753', 254, 182],
};

/** The regions whose extension layer is known. */
export const APPCONFIG_EXTENSION_REGIONS = Object.keys(LAYERS);

/** The ARN of the AppConfig extension layer for `region` and `arm64`, or `undefined` for an unknown region. */
export function appConfigExtensionLayerArn(region: string, arm64: boolean): string | undefined {
  const layer = LAYERS[region];
  if (!layer) return undefined;
  const [account, x86, arm] = layer;
  return arm64
    ? `arn:aws:lambda:${region}:${account}:layer:AWS-AppConfig-Extension-Arm64:${arm}`
    : `arn:aws:lambda:${region}:${account}:layer:AWS-AppConfig-Extension:${x86}`;
}
