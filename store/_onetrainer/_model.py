"""The v11 models of the `onetrainer` schema (made by tools/generate_onetrainer.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr

from store._leaves import SectionList
from store._onetrainer._elements import concept_schema, element_schema

# OneTrainer str()s a number given for a text field (old presets: `"resolution": 512`).
_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False, coerce_numbers_to_str=True)

# OneTrainer saves an infinite float as the string "inf"; the store refuses real infinities.
InfFloat = float | Literal["inf", "-inf"]
# OneTrainer declares the port `str` but defaults it to the int 0; a port it reads is str()ed.
Port = Literal[0] | str

AttentionMechanism = Literal["SDP", "FLASH", "CUDNN", "FLEX"]
AudioFormat = Literal["MP3"]
BalancingStrategy = Literal["REPEATS", "SAMPLES"]
CloudAction = Literal["NONE", "STOP", "DELETE"]
CloudFileSync = Literal["FABRIC_SFTP", "NATIVE_SCP"]
CloudType = Literal["RUNPOD", "LINUX"]
ConceptType = Literal["STANDARD", "VALIDATION", "PRIOR_PREDICTION"]
ConfigPart = Literal["NONE", "SETTINGS", "ALL"]
DataType = Literal[
    "NONE",
    "FLOAT_8",
    "FLOAT_16",
    "FLOAT_32",
    "BFLOAT_16",
    "TFLOAT_32",
    "INT_8",
    "NFLOAT_4",
    "FLOAT_W8A8",
    "INT_W8A8",
    "FLOAT_W8A8_COMPRESSED",
    "INT_W8A8_COMPRESSED",
    "GGUF",
    "GGUF_A8_FLOAT",
    "GGUF_A8_INT",
]
EMAMode = Literal["OFF", "GPU", "CPU"]
GradientReducePrecision = Literal[
    "WEIGHT_DTYPE", "FLOAT_32", "WEIGHT_DTYPE_STOCHASTIC", "FLOAT_32_STOCHASTIC"
]
ImageFormat = Literal["PNG", "JPG"]
LearningRateScaler = Literal[
    "NONE", "BATCH", "GLOBAL_BATCH", "GRADIENT_ACCUMULATION", "BOTH", "GLOBAL_BOTH"
]
LearningRateScheduler = Literal[
    "CONSTANT",
    "LINEAR",
    "COSINE",
    "COSINE_WITH_RESTARTS",
    "COSINE_WITH_HARD_RESTARTS",
    "REX",
    "ADAFACTOR",
    "CUSTOM",
]
LossScaler = Literal[
    "NONE", "BATCH", "GLOBAL_BATCH", "GRADIENT_ACCUMULATION", "BOTH", "GLOBAL_BOTH"
]
LossWeight = Literal["CONSTANT", "P2", "MIN_SNR_GAMMA", "DEBIASED_ESTIMATION", "SIGMA"]
ModelFormat = Literal[
    "DIFFUSERS",
    "ORIGINAL_SINGLE_FILE",
    "ORIGINAL_TRANSFORMER",
    "COMFY_TRANSFORMER",
    "LEGACY_SAFETENSORS",
    "DIFFUSERS_LORA",
    "KOHYA_LORA",
    "ORIGINAL_LORA",
    "COMFY_LORA",
    "LEGACY_LORA",
    "SAFETENSORS",
    "INTERNAL",
]
ModelType = Literal[
    "STABLE_DIFFUSION_15",
    "STABLE_DIFFUSION_15_INPAINTING",
    "STABLE_DIFFUSION_20",
    "STABLE_DIFFUSION_20_BASE",
    "STABLE_DIFFUSION_20_INPAINTING",
    "STABLE_DIFFUSION_20_DEPTH",
    "STABLE_DIFFUSION_21",
    "STABLE_DIFFUSION_21_BASE",
    "STABLE_DIFFUSION_3",
    "STABLE_DIFFUSION_35",
    "STABLE_DIFFUSION_XL_10_BASE",
    "STABLE_DIFFUSION_XL_10_BASE_INPAINTING",
    "WUERSTCHEN_2",
    "STABLE_CASCADE_1",
    "PIXART_ALPHA",
    "PIXART_SIGMA",
    "FLUX_DEV_1",
    "FLUX_FILL_DEV_1",
    "FLUX_2",
    "SANA",
    "HUNYUAN_VIDEO",
    "HI_DREAM_FULL",
    "CHROMA_1",
    "QWEN",
    "ANIMA",
    "KREA_2",
    "Z_IMAGE",
    "ERNIE",
    "IDEOGRAM_4",
]
NoiseScheduler = Literal[
    "DDIM",
    "EULER",
    "EULER_A",
    "DPMPP",
    "DPMPP_SDE",
    "UNIPC",
    "EULER_KARRAS",
    "DPMPP_KARRAS",
    "DPMPP_SDE_KARRAS",
    "UNIPC_KARRAS",
]
Optimizer = Literal[
    "ADAGRAD",
    "ADAGRAD_8BIT",
    "ADAM",
    "ADAM_8BIT",
    "ADAMW",
    "ADAMW_8BIT",
    "ADAMW_ADV",
    "AdEMAMix",
    "AdEMAMix_8BIT",
    "ADOPT",
    "ADOPT_ADV",
    "LAMB",
    "LAMB_8BIT",
    "LARS",
    "LARS_8BIT",
    "LION",
    "LION_8BIT",
    "LION_ADV",
    "RMSPROP",
    "RMSPROP_8BIT",
    "SGD",
    "SGD_8BIT",
    "SIGNSGD_ADV",
    "SCHEDULE_FREE_ADAMW",
    "SCHEDULE_FREE_SGD",
    "DADAPT_ADA_GRAD",
    "DADAPT_ADAM",
    "DADAPT_ADAN",
    "DADAPT_LION",
    "DADAPT_SGD",
    "PRODIGY",
    "PRODIGY_PLUS_SCHEDULE_FREE",
    "PRODIGY_ADV",
    "ADAFACTOR",
    "CAME",
    "CAME_8BIT",
    "MUON",
    "MUON_ADV",
    "ADAMUON_ADV",
    "ADABELIEF",
    "TIGER",
    "AIDA",
    "YOGI",
]
PeftType = Literal["LORA", "LOHA", "OFT_2", "LOKR"]
TimeUnit = Literal["EPOCH", "STEP", "SECOND", "MINUTE", "HOUR", "NEVER", "ALWAYS"]
TimestepDistribution = Literal[
    "UNIFORM", "SIGMOID", "LOGIT_NORMAL", "HEAVY_TAIL", "COS_MAP", "INVERTED_PARABOLA", "BETA"
]
TrainingMethod = Literal["FINE_TUNE", "LORA", "EMBEDDING", "FINE_TUNE_VAE"]
VideoFormat = Literal["PNG_IMAGE_SEQUENCE", "JPG_IMAGE_SEQUENCE", "MP4"]


class ConceptImageConfig(BaseModel):
    """OneTrainer's `ConceptImageConfig`."""

    model_config = _STRICT
    enable_crop_jitter: bool = True
    enable_random_flip: bool = False
    enable_fixed_flip: bool = False
    enable_random_rotate: bool = False
    enable_fixed_rotate: bool = False
    random_rotate_max_angle: float = 0.0
    enable_random_brightness: bool = False
    enable_fixed_brightness: bool = False
    random_brightness_max_strength: float = 0.0
    enable_random_contrast: bool = False
    enable_fixed_contrast: bool = False
    random_contrast_max_strength: float = 0.0
    enable_random_saturation: bool = False
    enable_fixed_saturation: bool = False
    random_saturation_max_strength: float = 0.0
    enable_random_hue: bool = False
    enable_fixed_hue: bool = False
    random_hue_max_strength: float = 0.0
    enable_resolution_override: bool = False
    resolution_override: str = "512"
    enable_random_circular_mask_shrink: bool = False
    enable_random_mask_rotate_crop: bool = False


class ConceptTextConfig(BaseModel):
    """OneTrainer's `ConceptTextConfig`."""

    model_config = _STRICT
    prompt_source: str = "sample"
    prompt_path: str = ""
    enable_tag_shuffling: bool = False
    tag_delimiter: str = ","
    keep_tags_count: int = 1
    tag_dropout_enable: bool = False
    tag_dropout_mode: str = "FULL"
    tag_dropout_probability: float = 0.0
    tag_dropout_special_tags_mode: str = "NONE"
    tag_dropout_special_tags: str = ""
    tag_dropout_special_tags_regex: bool = False
    caps_randomize_enable: bool = False
    caps_randomize_mode: str = "capslock, title, first, random"
    caps_randomize_probability: float = 0.0
    caps_randomize_lowercase: bool = False


class ConceptConfig(BaseModel):
    """OneTrainer's `ConceptConfig` (version 2); `seed` fixed here, random there."""

    model_config = _STRICT
    image: ConceptImageConfig = ConceptImageConfig()
    text: ConceptTextConfig = ConceptTextConfig()
    name: str = ""
    path: str = ""
    seed: int = 0
    enabled: bool = True
    type: ConceptType = "STANDARD"
    include_subdirectories: bool = False
    image_variations: int = 1
    text_variations: int = 1
    balancing: float = 1.0
    balancing_strategy: BalancingStrategy = "REPEATS"
    loss_weight: float = 1.0
    concept_stats: dict[str, Any] = {}


class SampleConfig(BaseModel):
    """OneTrainer's `SampleConfig` (version 0), as a config without a model type."""

    model_config = _STRICT
    enabled: bool = True
    prompt: str = ""
    negative_prompt: str = ""
    height: int = 512
    width: int = 512
    frames: int = 1
    length: float = 10.0
    seed: int = 42
    random_seed: bool = False
    diffusion_steps: int = 30
    cfg_scale: float = 7.0
    noise_scheduler: NoiseScheduler = "DDIM"
    text_encoder_1_layer_skip: int = 0
    text_encoder_1_sequence_length: int | None = None
    text_encoder_2_layer_skip: int = 0
    text_encoder_2_sequence_length: int | None = None
    text_encoder_3_layer_skip: int = 0
    text_encoder_4_layer_skip: int = 0
    transformer_attention_mask: bool = False
    force_last_timestep: bool = False
    sample_inpainting: bool = False
    base_image_path: str = ""
    mask_image_path: str = ""


class ModelPartConfig(BaseModel):
    """A model part (vae, decoder, ...): OneTrainer's `TrainModelPartConfig`."""

    model_config = _STRICT
    model_name: str = ""
    include: bool = True
    train: bool = True
    stop_training_after: int | None = None
    stop_training_after_unit: TimeUnit = "NEVER"
    learning_rate: float | None = None
    weight_dtype: DataType = "FLOAT_32"
    dropout_probability: float = 0.0
    train_embedding: bool = True
    attention_mask: bool = False
    guidance_scale: float = 1.0
    gradient_checkpointing: bool = True
    offload_fraction: float = 0.0
    activation_offloading: bool = False


class DenoiserPartConfig(ModelPartConfig):
    """A denoiser part (unet, prior, transformer): no training limit."""

    stop_training_after: int | None = 0


class UnconditionalTransformerConfig(ModelPartConfig):
    """The unconditional transformer: not trained by default."""

    train: bool = False
    gradient_checkpointing: bool = False


class QuantizationConfig(BaseModel):
    """OneTrainer's `QuantizationConfig`."""

    model_config = _STRICT
    layer_filter: str = ""
    layer_filter_preset: str = "full"
    layer_filter_regex: bool = False
    svd_dtype: DataType = "NONE"
    svd_rank: int = 16
    cache_dir: str | None = None


class TextEncoderPartConfig(ModelPartConfig):
    """A text encoder: trained for 30 epochs by default."""

    stop_training_after: int | None = 30
    stop_training_after_unit: TimeUnit = "EPOCH"


class EmbeddingConfig(BaseModel):
    """OneTrainer's `TrainEmbeddingConfig`; `uuid` is fixed here, random there."""

    model_config = _STRICT
    uuid: str = "00000000-0000-0000-0000-000000000000"
    model_name: str = ""
    placeholder: str = "<embedding>"
    train: bool = True
    stop_training_after: int | None = None
    stop_training_after_unit: TimeUnit = "NEVER"
    token_count: int | None = 1
    initial_embedding_text: str = "*"
    is_output_embedding: bool = False


class CloudConfig(BaseModel):
    """OneTrainer's `CloudConfig`."""

    model_config = _STRICT
    enabled: bool = False
    type: CloudType = "RUNPOD"
    file_sync: CloudFileSync = "NATIVE_SCP"
    create: bool = False
    name: str = "OneTrainer"
    tensorboard_tunnel: bool = True
    sub_type: str = ""
    gpu_type: str = ""
    volume_size: int = 100
    min_download: int = 0
    remote_dir: str = "/workspace"
    huggingface_cache_dir: str = "/workspace/huggingface_cache"
    onetrainer_dir: str = "/workspace/OneTrainer"
    install_cmd: str = "git clone https://github.com/Nerogar/OneTrainer"
    install_onetrainer: bool = True
    update_onetrainer: bool = True
    detach_trainer: bool = False
    run_id: str = "job1"
    download_samples: bool = True
    download_output_model: bool = True
    download_saves: bool = True
    download_backups: bool = False
    download_tensorboard: bool = False
    delete_workspace: bool = False
    on_finish: CloudAction = "NONE"
    on_error: CloudAction = "NONE"
    on_detached_finish: str = "NONE"
    on_detached_error: str = "NONE"


class OptimizerConfig(BaseModel):
    """OneTrainer's `TrainOptimizerConfig`; any field may be null (TrainArgs)."""

    model_config = _STRICT
    optimizer: Optimizer | None = "ADAMW"
    adam_w_mode: bool | None = False
    alpha: float | None = None
    amsgrad: bool | None = False
    beta1: float | None = None
    beta2: float | None = None
    beta3: float | None = None
    bias_correction: bool | None = False
    block_wise: bool | None = False
    capturable: bool | None = False
    centered: bool | None = False
    clip_threshold: float | None = None
    d0: float | None = None
    d_coef: float | None = None
    dampening: float | None = None
    decay_rate: float | None = None
    decouple: bool | None = False
    differentiable: bool | None = False
    eps: float | None = None
    eps2: float | None = None
    foreach: bool | None = False
    fsdp_in_use: bool | None = False
    fused: bool | None = False
    fused_back_pass: bool | None = False
    growth_rate: InfFloat | None = None
    initial_accumulator_value: int | None = None
    initial_accumulator: float | None = None
    is_paged: bool | None = False
    log_every: int | None = None
    lr_decay: float | None = None
    max_unorm: float | None = None
    maximize: bool | None = False
    min_8bit_size: int | None = None
    quant_block_size: int | None = None
    momentum: float | None = None
    nesterov: bool | None = False
    no_prox: bool | None = False
    optim_bits: int | None = None
    percentile_clipping: int | None = None
    r: float | None = None
    relative_step: bool | None = False
    safeguard_warmup: bool | None = False
    scale_parameter: bool | None = False
    stochastic_rounding: bool | None = True
    use_bias_correction: bool | None = False
    use_triton: bool | None = False
    warmup_init: bool | None = False
    weight_decay: float | None = None
    weight_lr_power: float | None = None
    decoupled_decay: bool | None = False
    fixed_decay: bool | None = False
    rectify: bool | None = False
    degenerated_to_sgd: bool | None = False
    k: int | None = None
    xi: float | None = None
    n_sma_threshold: int | None = None
    ams_bound: bool | None = False
    adanorm: bool | None = False
    adam_debias: bool | None = False
    slice_p: int | None = None
    cautious: bool | None = False
    weight_decay_by_lr: bool | None = True
    prodigy_steps: int | None = None
    use_speed: bool | None = False
    split_groups: bool | None = True
    split_groups_mean: bool | None = True
    factored: bool | None = True
    factored_fp32: bool | None = True
    use_stableadamw: bool | None = True
    use_cautious: bool | None = False
    use_grams: bool | None = False
    use_adopt: bool | None = False
    d_limiter: bool | None = True
    use_schedulefree: bool | None = True
    use_orthograd: bool | None = False
    nnmf_factor: bool | None = False
    orthogonal_gradient: bool | None = False
    use_atan2: bool | None = False
    use_AdEMAMix: bool | None = False
    beta3_ema: float | None = None
    alpha_grad: float | None = None
    beta1_warmup: int | None = None
    min_beta1: float | None = None
    Simplified_AdEMAMix: bool | None = False
    kourkoutas_beta: bool | None = False
    schedulefree_c: float | None = None
    ns_steps: int | None = None
    MuonWithAuxAdam: bool | None = False
    muon_hidden_layers: str | None = None
    muon_adam_regex: bool | None = False
    muon_adam_lr: float | None = None
    muon_te1_adam_lr: float | None = None
    muon_te2_adam_lr: float | None = None
    muon_adam_config: dict[str, Any] | None = {}
    rms_rescaling: bool | None = True
    normuon_variant: bool | None = False
    beta2_normuon: float | None = None
    low_rank_ortho: bool | None = False
    ortho_rank: int | None = None
    accelerated_ns: bool | None = False
    cautious_wd: bool | None = False
    approx_mars: bool | None = False
    auto_kappa_p: bool | None = False
    compile: bool | None = False


class CloudSecretsConfig(BaseModel):
    """OneTrainer's `CloudSecretConfig`: how to reach a cloud machine."""

    model_config = _STRICT
    api_key: SecretStr = SecretStr("")
    id: str = ""
    host: str = ""
    port: Port = 0
    user: str = "root"
    key_file: str = ""
    password: SecretStr = SecretStr("")


class SecretsConfig(BaseModel):
    """OneTrainer's `SecretsConfig`: credentials are never stored."""

    model_config = _STRICT
    huggingface_token: SecretStr = SecretStr("")
    cloud: CloudSecretsConfig = CloudSecretsConfig()


CONCEPTS = SectionList(concept_schema(ConceptConfig))
SAMPLES = SectionList(element_schema("sample", SampleConfig))
EMBEDDINGS = SectionList(element_schema("embedding", EmbeddingConfig))


class TrainConfig(BaseModel):
    """OneTrainer's `TrainConfig` at config version 11 (OneTrainer 23df3832)."""

    model_config = _STRICT
    training_method: TrainingMethod = "FINE_TUNE"
    model_type: ModelType = "STABLE_DIFFUSION_15"
    debug_mode: bool = False
    debug_dir: str = "debug"
    workspace_dir: str = "workspace/run"
    cache_dir: str = "workspace-cache/run"
    huggingface_cache_dir: str = ""
    offline_mode: bool = False
    tensorboard: bool = True
    tensorboard_expose: bool = False
    tensorboard_always_on: bool = False
    tensorboard_port: int = 6006
    validation: bool = False
    validate_after: int = 1
    validate_after_unit: TimeUnit = "EPOCH"
    continue_last_backup: bool = False
    prevent_overwrites: bool = False
    include_train_config: ConfigPart = "NONE"
    multi_gpu: bool = False
    device_indexes: str = ""
    gradient_reduce_precision: GradientReducePrecision = "FLOAT_32_STOCHASTIC"
    fused_gradient_reduce: bool = True
    async_gradient_reduce: bool = True
    async_gradient_reduce_buffer: int = 100
    base_model_name: str = "stable-diffusion-v1-5/stable-diffusion-v1-5"
    output_dtype: DataType = "FLOAT_32"
    output_model_format: ModelFormat = "SAFETENSORS"
    output_model_destination: str = "models/model.safetensors"
    async_offloading: bool = True
    force_circular_padding: bool = False
    compile: bool = False
    concept_file_name: str = "training_concepts/concepts.json"
    concepts: Annotated[list[ConceptConfig] | None, CONCEPTS] = None
    aspect_ratio_bucketing: bool = True
    latent_caching: bool = True
    clear_cache_before_training: bool = True
    learning_rate_scheduler: LearningRateScheduler = "CONSTANT"
    custom_learning_rate_scheduler: str | None = None
    scheduler_params: list[Any] | None = []
    learning_rate: float = 3e-06
    learning_rate_warmup_steps: float = 200.0
    learning_rate_cycles: float = 1.0
    learning_rate_min_factor: float = 0.0
    epochs: int = 100
    batch_size: int = 1
    gradient_accumulation_steps: int = 1
    ema: EMAMode = "OFF"
    ema_decay: float = 0.999
    ema_update_step_interval: int = 5
    dataloader_threads: int = 2
    train_device: str = "cuda"
    temp_device: str = "cpu"
    train_dtype: DataType = "FLOAT_16"
    fallback_train_dtype: DataType = "BFLOAT_16"
    enable_autocast_cache: bool = True
    only_cache: bool = False
    resolution: str = "512"
    frames: str = "25"
    attention_mechanism: AttentionMechanism = "SDP"
    mse_strength: float = 1.0
    mae_strength: float = 0.0
    log_cosh_strength: float = 0.0
    huber_strength: float = 0.0
    huber_delta: float = 1.0
    vb_loss_strength: float = 1.0
    loss_weight_fn: LossWeight = "CONSTANT"
    loss_weight_strength: float = 5.0
    dropout_probability: float = 0.0
    loss_scaler: LossScaler = "NONE"
    learning_rate_scaler: LearningRateScaler = "NONE"
    clip_grad_norm: float | None = 1.0
    offset_noise_weight: float = 0.0
    generalized_offset_noise: bool = False
    perturbation_noise_weight: float = 0.0
    rescale_noise_scheduler_to_zero_terminal_snr: bool = False
    force_v_prediction: bool = False
    force_epsilon_prediction: bool = False
    min_noising_strength: float = 0.0
    max_noising_strength: float = 1.0
    timestep_distribution: TimestepDistribution = "UNIFORM"
    noising_weight: float = 0.0
    noising_bias: float = 0.0
    timestep_shift: float = 1.0
    dynamic_timestep_shifting: bool = False
    unet: DenoiserPartConfig = DenoiserPartConfig()
    prior: DenoiserPartConfig = DenoiserPartConfig()
    transformer: DenoiserPartConfig = DenoiserPartConfig()
    unconditional_transformer: UnconditionalTransformerConfig = UnconditionalTransformerConfig()
    quantization: QuantizationConfig = QuantizationConfig()
    text_encoder: TextEncoderPartConfig = TextEncoderPartConfig()
    text_encoder_layer_skip: int = 0
    text_encoder_sequence_length: int | None = 512
    text_encoder_2: TextEncoderPartConfig = TextEncoderPartConfig()
    text_encoder_2_layer_skip: int = 0
    text_encoder_2_sequence_length: int | None = 77
    text_encoder_3: TextEncoderPartConfig = TextEncoderPartConfig()
    text_encoder_3_layer_skip: int = 0
    text_encoder_4: TextEncoderPartConfig = TextEncoderPartConfig()
    text_encoder_4_layer_skip: int = 0
    vae: ModelPartConfig = ModelPartConfig()
    effnet_encoder: ModelPartConfig = ModelPartConfig()
    decoder: ModelPartConfig = ModelPartConfig()
    decoder_text_encoder: ModelPartConfig = ModelPartConfig()
    decoder_vqgan: ModelPartConfig = ModelPartConfig()
    masked_training: bool = False
    unmasked_probability: float = 0.1
    unmasked_weight: float = 0.1
    normalize_masked_area_loss: bool = False
    masked_prior_preservation_weight: float = 0.0
    custom_conditioning_image: bool = False
    layer_filter: str = ""
    layer_filter_preset: str = "full"
    layer_filter_regex: bool = False
    embedding_learning_rate: float | None = None
    preserve_embedding_norm: bool = False
    embedding: EmbeddingConfig = EmbeddingConfig()
    additional_embeddings: Annotated[list[EmbeddingConfig], EMBEDDINGS] = []
    embedding_weight_dtype: DataType = "FLOAT_32"
    cloud: CloudConfig = CloudConfig()
    peft_type: PeftType = "LORA"
    lora_model_name: str = ""
    lora_rank: int = 16
    lora_alpha: float = 1.0
    lora_decompose: bool = False
    lora_decompose_norm_epsilon: bool = True
    lora_decompose_output_axis: bool = False
    lora_weight_dtype: DataType = "FLOAT_32"
    bundle_additional_embeddings: bool = True
    oft_block_size: int = 32
    oft_block_share: bool = False
    oft_scaled: bool = False
    lokr_dim: int = 16
    lokr_decompose_both: bool = False
    lokr_decompose_factor: int = -1
    lokr_use_tucker: bool = False
    lokr_weight_decompose: bool = False
    lokr_dora_on_output: bool = True
    lokr_full_matrix: bool = False
    lokr_vec_trick: bool = True
    optimizer: OptimizerConfig = OptimizerConfig()
    optimizer_defaults: dict[str, Any] = {}
    sample_definition_file_name: str = "training_samples/samples.json"
    samples: Annotated[list[SampleConfig] | None, SAMPLES] = None
    sample_after: int = 10
    sample_after_unit: TimeUnit = "MINUTE"
    sample_skip_first: int = 0
    sample_image_format: ImageFormat = "JPG"
    sample_video_format: VideoFormat = "MP4"
    sample_audio_format: AudioFormat = "MP3"
    samples_to_tensorboard: bool = True
    non_ema_sampling: bool = True
    backup_after: int = 30
    backup_after_unit: TimeUnit = "MINUTE"
    rolling_backup: bool = False
    rolling_backup_count: int = 3
    backup_before_save: bool = True
    save_every: int = 0
    save_every_unit: TimeUnit = "NEVER"
    save_skip_first: int = 0
    save_filename_prefix: str = ""
    secrets: SecretsConfig = SecretsConfig()
