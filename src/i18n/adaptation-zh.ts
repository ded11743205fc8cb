/** 站点适配的简体中文文本（与 adaptation-en.ts 键键对应）。 */

import type { adaptationEn } from './adaptation-en';

export const adaptationZh: typeof adaptationEn = {
  open: '适配到本院…',
  close: '关闭',
  title: '将当前模型包适配到本院',
  intro:
    '选择带标签的文件夹（目录结构与回答同验证）。模型包的输出层会在本院病例上重新拟合；“适配后”的指标只来自每个重新拟合的输出层从未见过的患者（按患者分组的 5 折交叉验证）。数据不会离开本机，当前模型包也不会被改动：接受后保存为新版本。',
  modality: '要适配的模态',
  wholeImage: '使用整幅图像（不自动框选区域）',
  start: '开始适配',
  cancel: '取消',
  needPatients: '5 折交叉验证至少需要 5 位患者。',
  extracting: (done: number, total: number) => `正在计算特征：${done} / ${total} 幅图像`,
  fitting: '正在用交叉验证重新拟合输出层…',
  skipped: (k: number) => `${k} 幅图像无法使用，已略过。`,
  resultsTitle: '留出患者上的宏平均 AUC（95% 置信区间）',
  before: '适配前（当前模型包）',
  after: '适配后（重新拟合的输出层）',
  noValue: '无法计算（某一类别没有病例）',
  timing: (extract: string, fit: string) => `特征 ${extract} 秒；输出层重新拟合 ${fit} 秒。`,
  accept: '接受：保存为新的模型包版本',
  saving: '正在保存…',
  saved: (id: string) => `已保存为“${id}”（已导入，未验证）并设为当前模型包。原模型包未改动。`,
  failed: (msg: string) => `适配失败：${msg}`,
};
