# An inference node on vLLM (one NVIDIA GPU). Built from the repository root:
#
#   docker build -f docker/inference-vllm.Dockerfile -t openledger/inference-vllm .
#   docker run --gpus all -e OL_INFERENCE_BASE_MODEL=... openledger/inference-vllm
#
# Python 3.11 (what OpenLedger's packages support) on CUDA 13, the CUDA vLLM 0.33's wheels are
# built for; vLLM's own image runs another Python, so this one starts from CUDA's.

ARG CUDA_IMAGE=nvidia/cuda:13.0.1-runtime-ubuntu22.04

FROM ${CUDA_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends software-properties-common gpg-agent \
    && add-apt-repository -y ppa:deadsnakes/ppa \
    && apt-get install -y --no-install-recommends python3.11 python3.11-venv python3.11-dev gcc \
    && rm -rf /var/lib/apt/lists/*
RUN python3.11 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Third-party packages first: this layer is rebuilt only when the requirements change.
COPY requirements/vllm.txt requirements/vllm.txt
RUN pip install --no-cache-dir --upgrade pip \
    && pip install --no-cache-dir -r requirements/vllm.txt
COPY libs/api libs/api
COPY libs/kit libs/kit
COPY libs/ml libs/ml
COPY services/inference services/inference
# --no-deps: requirements/vllm.txt holds what these need, at versions vLLM accepts (their own
# torch, transformers and fastapi pins are the dev environment's and the router's).
RUN pip install --no-cache-dir --no-deps libs/api libs/kit libs/ml services/inference

FROM ${CUDA_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive
# gcc: Triton compiles its kernel launchers when vLLM first runs them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends software-properties-common gpg-agent \
    && add-apt-repository -y ppa:deadsnakes/ppa \
    && apt-get install -y --no-install-recommends python3.11 python3.11-dev gcc libc6-dev \
    && apt-get purge -y software-properties-common gpg-agent \
    && apt-get autoremove -y \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
RUN useradd --create-home --uid 10001 openledger
USER openledger
WORKDIR /home/openledger
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    OL_INFERENCE_ENGINE=vllm \
    OL_INFERENCE_GRPC_HOST=0.0.0.0 \
    OL_INFERENCE_METRICS_HOST=0.0.0.0 \
    OL_INFERENCE_METRICS_PORT=9090 \
    OL_INFERENCE_MODEL_CACHE_DIR=/home/openledger/models \
    OL_INFERENCE_ADAPTER_CACHE_DIR=/home/openledger/adapters \
    HF_HUB_OFFLINE=1
EXPOSE 50055 9090
ENTRYPOINT ["python", "-m", "openledger_inference", "node"]
